info tests/data/bad/50-limits.evr --max-index-size 129
