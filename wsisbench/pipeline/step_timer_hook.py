"""An mmengine hook that times optimizer steps with the common profiler (warm-up excluded, device synced)."""
from __future__ import annotations

import json
from pathlib import Path

from mmengine.hooks import Hook

from wsisbench.evaluation.profiling import Profiler
from wsisbench.registry import HOOKS
from wsisbench.utils.atomic import atomic_write_json

PROFILE_NAME = "train_profile.json"


@HOOKS.register_module()
class StepTimerHook(Hook):
    """Times every training iteration (one optimizer step) and writes ``train_profile.json`` at the end.

    ``sec_per_iter`` covers data loading of the batch and the step; the first ``warmup`` iterations
    (of this process, so also after a resume) are left out.
    """

    priority = "VERY_LOW"

    def __init__(self, warmup: int = 5):
        self.warmup = warmup

    def before_train(self, runner) -> None:
        self._profiler = Profiler(device=None, warmup=self.warmup)  # cuda when available, else cpu
        self._phase_cm = self._profiler.phase("train")
        self._phase = self._phase_cm.__enter__()
        self._step = None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._step = self._phase.step(num_images=len(data_batch["inputs"]) if data_batch else 0)
        self._step.__enter__()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._step is not None:
            self._step.__exit__(None, None, None)
            self._step = None

    def after_train(self, runner) -> None:
        self._phase_cm.__exit__(None, None, None)
        summary = self._profiler.summary(iter_phase="train")
        atomic_write_json(Path(runner.work_dir) / PROFILE_NAME,
                          {k: summary[k] for k in ("device", "warmup", "sec_per_iter", "peak_rss_mib",
                                                   "cuda_max_allocated_mib", "cuda_max_reserved_mib")})


def read_train_profile(stage_dir: Path) -> dict:
    path = Path(stage_dir) / PROFILE_NAME
    return json.loads(path.read_text()) if path.exists() else {}
