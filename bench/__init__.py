"""Benchmarks of the whole pipeline (issue 8): `python -m bench.run --help`."""
