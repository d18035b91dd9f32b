"""Tests across stages: the CLI, live collection on moto, real-world inputs, the benchmark."""
