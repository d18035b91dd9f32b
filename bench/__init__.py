"""Benchmark of ecs-exposure: a synthetic estate generator and a runner (see BENCHMARKS.md)."""
