"""Training stages run mmengine's Runner: registered models, iteration-based loops, resumable checkpoints."""
from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path

import torch
from mmengine.config import ConfigDict
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from wsisbench.errors import WsisbenchError
from wsisbench.registry import HOOKS, LOOPS
from wsisbench.utils.atomic import atomic_write_bytes

from .context import RunContext
from .distributed import ddp_wrapper_cfg
from .step_timer_hook import StepTimerHook, read_train_profile  # noqa: F401  (registers the hook)

#: the file every training stage leaves: the trained model's state dict
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
    safe += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "uint32", "uint8", "bool")]
    return safe


@contextlib.contextmanager
def trusted_checkpoint_loading():
    """Let torch 2.13's ``weights_only`` loader read mmengine checkpoints written by this run."""
    with torch.serialization.safe_globals(mmengine_checkpoint_globals() + [getattr]):
        yield


RNG_KEY = "wsisbench_rng"


def rng_states() -> dict:
    """The global random states a training step draws from: Python's, numpy's (data transforms) and torch's."""
    import random

    import numpy as np

    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def set_rng_states(states: dict) -> None:
    import random

    import numpy as np

    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if states.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves the global random states with every checkpoint; on resume, hands them to :class:`ExactResumeIterLoop`."""

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[RNG_KEY] = rng_states()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        runner.train_loop.resume_rng = checkpoint.get(RNG_KEY)


class _RestoreAfter:
    """An iterator that restores ``states`` just before it yields item ``skip + 1`` (the first untrained batch)."""

    def __init__(self, iterator, skip: int, states: dict):
        self.iterator, self.left, self.states = iterator, skip, states

    def __iter__(self):
        return self

    def __next__(self):
        if self.left == 0 and self.states is not None:
            set_rng_states(self.states)
            self.states = None
        self.left -= 1
        return next(self.iterator)


@LOOPS.register_module()
class ExactResumeIterLoop(IterBasedTrainLoop):
    """mmengine's iteration-based loop, continuing a resumed run exactly as the uninterrupted run would.

    mmengine resumes the weights, optimizer, schedulers and sampler, and skips the batches already trained;
    the random states of the data transforms and of dropout are not in its checkpoints. With
    :class:`RNGStateHook` they are: after the skipped batches, the states saved at the checkpoint are restored,
    so the rest of the run is bit-identical on the CPU.
    """

    resume_rng: dict | None = None

    def run(self):
        if self._iter > 0 and self.resume_rng is not None:
            self.dataloader_iterator = _RestoreAfter(self.dataloader_iterator, self._iter, self.resume_rng)
        return super().run()


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


def build_train_loader(block, dataset: dict, seed: int) -> dict:
    """The Runner's ``train_dataloader`` for a training block (the one config shape of every training stage)::

        dict(batch_size=16, num_workers=0, max_iters=300,
             sampler='DefaultSampler',          # or 'InfiniteSampler'
             optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)), param_scheduler=[...],
             loader=dict(...))                  # optional extra DataLoader keys

    Shuffled with ``seed``, pseudo-collated (the models unpack their own data samples).
    """
    block = ConfigDict(block)
    workers = int(block.get("num_workers", 0))
    loader = dict(batch_size=block.batch_size, num_workers=workers, persistent_workers=workers > 0,
                  sampler=dict(type=block.get("sampler", "DefaultSampler"), shuffle=True, seed=seed),
                  collate_fn=dict(type="pseudo_collate"), dataset=dataset)
    loader.update(dict(block.get("loader") or {}))
    return loader


def train_with_runner(ctx: RunContext, out_dir: Path, *, model: dict, dataset: dict, block,
                      custom_hooks=None, load_from: str | None = None) -> dict:
    """Train ``model`` on ``dataset`` with an mmengine Runner whose work dir is ``out_dir``, as ``block`` says.

    ``block`` is a training block (:func:`build_train_loader`). Resumes from the last checkpoint in
    ``out_dir`` (a partial stage directory left by an interrupted run). Under ``--launcher pytorch`` the Runner
    wraps the model in DDP over the existing process group. The final weights (state dict only) go to
    ``out_dir / WEIGHTS_NAME``; intermediate checkpoints are removed.

    Returns ``{'sec_per_iter', 'iters', 'batch_size'}`` (sec/iter measured by :class:`StepTimerHook`,
    warm-up excluded; None when every iteration was warm-up).
    """
    from mmengine.runner import Runner

    if block is None:
        raise WsisbenchError("the config lacks the training block of this stage")
    block = ConfigDict(block)
    cfg = ctx.cfg
    runner = Runner(
        model=copy.deepcopy(model),
        work_dir=str(out_dir),
        train_dataloader=build_train_loader(block, copy.deepcopy(dataset), cfg.get("seed", 0)),
        optim_wrapper=copy.deepcopy(block.optim_wrapper),
        param_scheduler=fit_schedule(block.get("param_scheduler"), block.max_iters),
        train_cfg=dict(type="ExactResumeIterLoop", max_iters=block.max_iters),
        default_hooks=dict(
            timer=dict(type="IterTimerHook"),
            logger=dict(type="LoggerHook", interval=cfg.get("log_interval", 20)),
            param_scheduler=dict(type="ParamSchedulerHook"),
            checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=cfg.get("checkpoint_interval", 100),
                            max_keep_ckpts=1, save_last=True),
            sampler_seed=dict(type="DistSamplerSeedHook")),
        custom_hooks=[dict(type="StepTimerHook"), dict(type="RNGStateHook")] + list(custom_hooks or []),
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
    if ctx.is_main:
        buffer = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
        atomic_write_bytes(out_dir / WEIGHTS_NAME, buffer.getvalue())
        for ckpt in list(out_dir.glob("iter_*.pth")) + [out_dir / "last_checkpoint"]:
            ckpt.unlink(missing_ok=True)
    ctx.barrier()
    return {"sec_per_iter": read_train_profile(out_dir).get("sec_per_iter"), "iters": int(block.max_iters),
            "batch_size": int(block.batch_size)}


def load_trained(model_cfg: dict, weights: Path, device: str) -> torch.nn.Module:
    """Build ``model_cfg`` and load a ``weights.pth`` written by :func:`train_with_runner` (eval mode)."""
    from mmengine.registry import init_default_scope

    from wsisbench.registry import MODELS

    init_default_scope("wsisbench")
    model = MODELS.build(copy.deepcopy(model_cfg))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()
