"""Benchmarks: run as scripts (`python -m bench.poll_votes`), never as part of the tests."""
