"""Benchmarks: named datasets with splits, classes and protocols (``get_benchmark``)."""
from .catalog import embedded_class_splits, get_benchmark, list_benchmarks
from .spec import BenchmarkSpec

__all__ = ["BenchmarkSpec", "embedded_class_splits", "get_benchmark", "list_benchmarks"]
