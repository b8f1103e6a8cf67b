"""Benchmarks, run by name: `python -m benchmarks NAME [options]` calls benchmarks/bench_NAME.py main()."""
