"""Training stages run mmengine's Runner: registered models, iteration-based loops, resumable checkpoints."""
from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path

import torch
from mmengine.config import ConfigDict
from mmengine.model import is_model_wrapper

from wsisbench.utils.atomic import atomic_write_bytes

from .context import RunContext
from .distributed import ddp_wrapper_cfg
from .step_timer_hook import StepTimerHook  # noqa: F401  (registers the hook)

WEIGHTS_NAME = "weights.pth"


def mmengine_checkpoint_globals() -> list:
    """The non-tensor classes that mmengine's resumable checkpoints pickle (message hub, numpy state).

    Under numpy 2 a dtype class pickles as ``getattr(numpy.dtypes, name)``, so ``getattr`` is among them;
    it is therefore allowed only inside :func:`trusted_checkpoint_loading`, around loading the
    checkpoints a training stage wrote into its own work dir, never globally.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    core = getattr(np, "_core", None) or np.core
    safe = [HistoryBuffer, np.ndarray, np.dtype, core.multiarray._reconstruct, core.multiarray.scalar, ConfigDict]
    safe += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "uint8", "bool")]
    return safe


@contextlib.contextmanager
def trusted_checkpoint_loading():
    """Let torch 2.13's ``weights_only`` loader read mmengine checkpoints written by this run."""
    with torch.serialization.safe_globals(mmengine_checkpoint_globals() + [getattr]):
        yield


def fit_schedule(param_scheduler, max_iters: int):
    """Stretch iteration-based schedulers to the run's length: ``end`` and ``T_max`` default to ``max_iters``.

    So ``--cfg-options train.max_iters=N`` shortens a preset without leaving its schedule half-done.
    """
    if param_scheduler is None:
        return None
    schedulers = copy.deepcopy(param_scheduler)
    for sched in schedulers if isinstance(schedulers, list) else [schedulers]:
        sched.setdefault("by_epoch", False)
        if sched.get("end") is None:
            sched["end"] = max_iters
        if sched["type"].endswith("CosineAnnealingLR") and sched.get("T_max") is None:
            sched["T_max"] = sched["end"] - sched.get("begin", 0)
    return schedulers


def train_with_runner(ctx: RunContext, out_dir: Path, *, model: dict, train_dataloader: dict,
                      optim_wrapper: dict, max_iters: int, param_scheduler=None,
                      custom_hooks=None, load_from: str | None = None) -> Path:
    """Train ``model`` with an mmengine Runner whose work dir is ``out_dir``; returns the weights file.

    ``out_dir / train_profile.json`` gets sec/iter and peak memory (see :class:`StepTimerHook`).

    Resumes from the last checkpoint in ``out_dir`` (a partial stage directory left by an interrupted run).
    Under ``--launcher pytorch`` the Runner wraps the model in DDP over the existing process group.
    The final weights (state dict only) go to ``out_dir / weights.pth``; intermediate checkpoints are removed.
    """
    from mmengine.runner import Runner

    cfg = ctx.cfg
    runner = Runner(
        model=copy.deepcopy(model),
        work_dir=str(out_dir),
        train_dataloader=copy.deepcopy(train_dataloader),
        optim_wrapper=copy.deepcopy(optim_wrapper),
        param_scheduler=fit_schedule(param_scheduler, max_iters),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=max_iters),
        default_hooks=dict(
            timer=dict(type="IterTimerHook"),
            logger=dict(type="LoggerHook", interval=cfg.get("log_interval", 20)),
            param_scheduler=dict(type="ParamSchedulerHook"),
            checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=cfg.get("checkpoint_interval", 100),
                            max_keep_ckpts=1, save_last=True),
            sampler_seed=dict(type="DistSamplerSeedHook")),
        custom_hooks=[dict(type="StepTimerHook")] + list(custom_hooks or []),
        load_from=load_from,
        resume=True,
        launcher=ctx.launcher,
        # mmengine reads the DDP wrapper settings from the Runner's cfg
        cfg=dict(model_wrapper_cfg=ddp_wrapper_cfg(ctx.device)) if ctx.distributed else None,
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend="nccl" if ctx.device == "cuda" else "gloo")),
        randomness=dict(seed=cfg.get("seed", 0), deterministic=cfg.get("deterministic", False)),
        default_scope=cfg.get("default_scope", "wsisbench"),
        log_processor=dict(by_epoch=False),
        visualizer=dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend")]),
        experiment_name="train",
    )
    with trusted_checkpoint_loading():  # resuming reads the checkpoints of this partial stage directory
        runner.train()
    net = runner.model.module if is_model_wrapper(runner.model) else runner.model
    weights = out_dir / WEIGHTS_NAME
    if ctx.is_main:
        buffer = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
        atomic_write_bytes(weights, buffer.getvalue())
        for ckpt in list(out_dir.glob("iter_*.pth")) + [out_dir / "last_checkpoint"]:
            ckpt.unlink(missing_ok=True)
    ctx.barrier()
    return weights


def load_trained(model_cfg: dict, weights: Path, device: str) -> torch.nn.Module:
    """Build ``model_cfg`` and load a ``weights.pth`` written by :func:`train_with_runner` (eval mode)."""
    from mmengine.registry import init_default_scope

    from wsisbench.registry import MODELS

    init_default_scope("wsisbench")
    model = MODELS.build(copy.deepcopy(model_cfg))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()
