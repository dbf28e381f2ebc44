convert tests/data/bad/50-limits.evr -t pbd --max-block-size 37
