convert tests/data/bad/50-limits.evr -t pbd --max-block-records 2
