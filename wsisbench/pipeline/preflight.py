"""Checks made before any stage runs: the dataset is complete and readable, required weights and user-supplied
folders (proposals, saliency maps) exist."""
from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from wsisbench.errors import WsisbenchError

from .context import RunContext
from .stage import Stage


def require_pretrained(cfg: Config) -> None:
    """Paper presets set ``requires_pretrained = True``: ``pretrained`` must name an existing checkpoint.

    ``pretrained`` is one path (``--cfg-options pretrained=PATH``), or, for a preset whose networks start
    from different ImageNet backbones, one path per network (``pretrained.classifier=PATH
    pretrained.segmenter=PATH``). Nothing can be downloaded here, so ImageNet weights are the user's to supply.
    """
    value = cfg.get("pretrained")
    entries = dict(value) if isinstance(value, dict) else {"": value}
    for network, path in entries.items():
        key = f"pretrained.{network}" if network else "pretrained"
        if path:
            if not Path(str(path)).expanduser().is_file():
                raise WsisbenchError(f"{key}: checkpoint {path} does not exist")
            continue
        if cfg.get("requires_pretrained", False):
            raise WsisbenchError(
                f"preset {cfg.get('preset')!r} of {cfg.method!r} starts from ImageNet weights "
                f"({cfg.get('pretrained_description', 'a backbone checkpoint')}): pass --cfg-options {key}=PATH "
                f"(no model hub is reachable, so none is downloaded)")


def user_folder(cfg: Config, key: str, value, what: str, contents: str) -> Path:
    """The folder ``value`` of the config option ``key`` (a dotted name), which the user must supply because
    wsisbench does not compute ``what``; raises with the option to pass and the expected ``contents``."""
    if not value:
        raise WsisbenchError(f"preset {cfg.get('preset', '?')!r} reads {what}, which wsisbench does not compute: "
                             f"pass --cfg-options {key}=DIR with {contents}")
    path = Path(str(value)).expanduser()
    if not path.is_dir():
        raise WsisbenchError(f"{key}: {path} is not a folder")
    return path


def pretrained_for(cfg: Config, network: str | None = None) -> str | None:
    """The ImageNet checkpoint of ``network`` (``cfg.pretrained``, or its entry for that network), or None."""
    value = cfg.get("pretrained")
    if isinstance(value, dict):
        value = value.get(network) if network else None
    return str(Path(str(value)).expanduser()) if value else None


def apply_pretrained(model_cfg: dict, cfg: Config, submodule: str = "backbone", network: str | None = None) -> dict:
    """Point ``model_cfg[submodule]`` at ``cfg.pretrained`` (its entry for ``network`` when it holds one path
    per network) as an mmengine ``Pretrained`` init, when it is set."""
    path = pretrained_for(cfg, network)
    if path:
        model_cfg[submodule]["init_cfg"] = dict(type="Pretrained", checkpoint=path)
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
