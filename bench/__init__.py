"""Benchmarks of the hot paths (docs/BENCHMARKS.md); not part of the test run."""
