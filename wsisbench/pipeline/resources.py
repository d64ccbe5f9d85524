"""Wall time and peak memory of one stage (recorded in its manifest)."""
from __future__ import annotations

import resource
import time
from contextlib import contextmanager

import torch


def _reset_rss_peak() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process; False where not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def current_peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (since the last reset, where resets work)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextmanager
def measure_stage(device: str):
    """Yield a dict that is filled with ``wall_time_s``, ``peak_rss_mib`` and CUDA peaks on exit."""
    record: dict = {}
    _reset_rss_peak()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    try:
        yield record
    finally:
        if device == "cuda":
            torch.cuda.synchronize()
            record["cuda_max_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
            record["cuda_max_reserved_mib"] = torch.cuda.max_memory_reserved() / 2**20
        record["wall_time_s"] = time.perf_counter() - start
        record["peak_rss_mib"] = current_peak_rss_mib()
