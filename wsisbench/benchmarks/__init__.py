"""Benchmarks: named datasets with splits, classes and protocols (``get_benchmark``)."""
from .catalog import get_benchmark, list_benchmarks
from .spec import BenchmarkSpec

__all__ = ["BenchmarkSpec", "get_benchmark", "list_benchmarks"]
