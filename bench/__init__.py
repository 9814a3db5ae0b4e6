"""Benchmarks of the local stack; `python -m bench.run` (or `make bench`) writes bench/results/latest.json."""
