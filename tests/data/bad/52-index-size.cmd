get tests/data/bad/50-limits.evr r2 --max-index-size 129
