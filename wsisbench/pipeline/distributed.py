"""Process-group set-up for ``--launcher pytorch|slurm`` (CPU: gloo; CUDA: nccl)."""
from __future__ import annotations

import os

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist, is_distributed


def setup_distributed(launcher: str, device: str, cpu_threads: int | None = None) -> None:
    """Join the process group that torchrun/slurm describes, once, before any stage runs, and on CPU set the
    number of torch threads: ``cpu_threads`` (a config key) when given, else under DDP each process's share of
    the cores, else torch's default.

    mmengine's ``init_dist`` selects a CUDA device per rank, which a CPU-only torch cannot do, so on CPU
    the gloo group is joined directly from torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR/PORT).
    mmengine's Runner then finds the group initialised and uses it. One thread is much faster than two on a
    CPU that other processes share (no spinning at OpenMP barriers); the count can change the last bits of
    a result, so it is part of a preset.
    """
    if launcher != "none" and not is_distributed():
        if device == "cuda":
            init_dist(launcher, backend="nccl")
        elif launcher == "pytorch":
            torch_dist.init_process_group(backend="gloo", rank=int(os.environ["RANK"]),
                                          world_size=int(os.environ["WORLD_SIZE"]))
        else:
            init_dist(launcher, backend="gloo")
    if device == "cpu" and cpu_threads:
        torch.set_num_threads(int(cpu_threads))
    elif device == "cpu" and is_distributed():
        # two processes on a small machine: keep each to its share of the cores
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // torch_dist.get_world_size()))


def ddp_wrapper_cfg(device: str) -> dict:
    """mmengine ``model_wrapper_cfg`` that works for CPU modules (DDP needs ``device_ids=None`` there)."""
    cfg = dict(type="MMDistributedDataParallel", broadcast_buffers=False, find_unused_parameters=False)
    if device == "cpu":
        cfg["device_ids"] = None
    return cfg
