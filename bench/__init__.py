"""Benchmarks, run on demand: numbers and ratios against baselines measured in the same run."""
