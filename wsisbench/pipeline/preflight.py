"""Checks made before any stage runs: the dataset is complete and readable, required weights exist."""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from wsisbench.errors import WsisbenchError

from .context import RunContext
from .stage import Stage


def require_pretrained(cfg: Config) -> None:
    """Paper presets set ``requires_pretrained = True``: ``pretrained`` must name an existing checkpoint.

    Nothing can be downloaded on these machines, so ImageNet weights are the user's to supply.
    """
    if not cfg.get("requires_pretrained", False):
        return
    path = cfg.get("pretrained")
    hint = (f"preset {cfg.get('preset')!r} of {cfg.method!r} starts from ImageNet weights "
            f"({cfg.get('pretrained_description', 'a backbone checkpoint')}); pass "
            f"--cfg-options pretrained=/path/to/checkpoint.pth")
    if not path:
        raise WsisbenchError(f"{hint} (no model hub is reachable, so none is downloaded)")
    if not Path(path).expanduser().is_file():
        raise WsisbenchError(f"pretrained checkpoint {path} does not exist; {hint}")


def apply_pretrained(model_cfg: dict, cfg: Config, submodule: str = "backbone") -> dict:
    """Point ``model_cfg[submodule]`` at ``cfg.pretrained`` (an mmengine ``Pretrained`` init) when it is set."""
    if cfg.get("pretrained"):
        model_cfg[submodule]["init_cfg"] = dict(type="Pretrained",
                                                checkpoint=str(Path(cfg.pretrained).expanduser()))
    return model_cfg


def _check_data(ctx: RunContext, out_dir: Path) -> dict:
    from wsisbench.datasets.checks import check_dataset
    from wsisbench.utils.atomic import atomic_write_text

    bench = ctx.cfg.benchmark
    splits = sorted({bench.get("train_split"), bench.get("eval_split")} - {None})
    report = None
    if ctx.is_main:
        report = check_dataset(list(ctx.benchmark.layouts), ctx.data_root, splits=splits,
                               classes=ctx.benchmark.class_names(ctx.data_root),
                               decode_images=bool(ctx.cfg.get("check_decode_images", True)))
        atomic_write_text(out_dir / "summary.csv", report.summary.to_csv(index=False))
    ctx.barrier()
    if report is not None and not report.ok:
        report.raise_if_failed()  # stops the run before any training; the DataError names the files
    return {"data_check": {"layouts": list(ctx.benchmark.layouts), "splits": splits}}


def data_check_stage() -> Stage:
    """The first stage of every run: ``wsisbench data check`` on the splits the run reads."""
    return Stage("check_data", _check_data, "validate the dataset before training")
