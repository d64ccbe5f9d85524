"""A stage: one named, resumable step of a method (train a classifier, extract maps, predict, evaluate...)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from wsisbench.errors import WsisbenchError

if TYPE_CHECKING:
    from .context import RunContext


@dataclass(frozen=True)
class Stage:
    """A named step whose artifacts live in ``<work_dir>/<name>/``.

    Args:
        name: directory name and the key in result.json's ``stages``.
        fn: ``fn(ctx, out_dir) -> summary dict | None``. It writes its artifacts into ``out_dir`` (a partial
            directory that becomes ``<work_dir>/<name>`` only when ``fn`` returns) and reads earlier stages'
            artifacts through ``ctx.artifact(stage, name)``, for the stages in ``inputs`` only. Every rank calls
            it under DDP; ``fn`` shards its own work (``ctx.shard``) and writes shared files on the main rank.
            A summary may hold ``evaluations``, ``profile`` and ``qualitative`` (they feed result.json; two
            stages may not write the same evaluation or profile key) plus any other stage facts.
        description: one line shown in progress output.
        inputs: the stages whose artifacts ``fn`` reads. A stage is re-run when one of them is re-run or
            its content changed since this stage ran; ``stages=[...]`` in a config must list them too.
        resumable: keep the partial directory after a crash so that ``fn`` can continue from it
            (training stages: mmengine resumes from the last checkpoint there).
        share: ``share(cfg) -> dict``, the part of the config the stage's output depends on, for a stage whose
            result other presets can reuse (e.g. the detector that every stage-wise Mask^X R-CNN preset trains
            first). With ``stage_cache=DIR`` in the config, a finished stage of the same method, data, shared
            config and input contents (the content hashes of its ``inputs``) is copied from ``DIR`` instead of
            being run again, and a newly run one is stored there.
    """

    name: str
    fn: Callable[["RunContext", Path], dict | None]
    description: str = ""
    inputs: tuple[str, ...] = ()
    resumable: bool = False
    share: Callable[[Any], dict] | None = None

    def __post_init__(self):
        object.__setattr__(self, "inputs", tuple(self.inputs))

    def __call__(self, ctx: "RunContext", out_dir: Path) -> dict | None:
        return self.fn(ctx, out_dir)


def training_share(cfg, **parts) -> dict:
    """A ``Stage.share`` value for a training stage: ``parts`` (its model, schedule and pipeline config) plus
    what every training depends on (the benchmark's generator parameters, the seed, threads, determinism and
    the ImageNet checkpoint)."""
    def plain(v):
        return v.to_dict() if hasattr(v, "to_dict") else v

    benchmark = {k: v for k, v in cfg.benchmark.items() if k != "data_root"}
    return {**{k: plain(v) for k, v in parts.items()}, "benchmark": plain(benchmark), "seed": cfg.get("seed"),
            "cpu_threads": cfg.get("cpu_threads"), "deterministic": cfg.get("deterministic"),
            "pretrained": plain(cfg.get("pretrained"))}


def check_stages(stages: Sequence[Stage]) -> None:
    """Names are unique and every input names an earlier stage (a method's declaration is consistent)."""
    seen: list[str] = []
    for stage in stages:
        if stage.name in seen:
            raise WsisbenchError(f"stage {stage.name!r} is declared twice")
        unknown = [s for s in stage.inputs if s not in seen]
        if unknown:
            raise WsisbenchError(f"stage {stage.name!r} reads {unknown}, which are not earlier stages "
                                 f"(declared before it: {', '.join(seen) or 'none'})")
        seen.append(stage.name)


def select_stages(stages: Sequence[Stage], wanted: Sequence[str] | None) -> list[Stage]:
    """The stages named in ``wanted`` (a config's ``stages``), in declaration order; None keeps all.

    ``check_data`` always runs. An unknown name, or a stage whose inputs are not selected, is an error
    that names the missing stages.
    """
    check_stages(stages)
    if wanted is None:
        return list(stages)
    wanted = [str(w) for w in wanted]
    known = [s.name for s in stages]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise WsisbenchError(f"config 'stages' names unknown stage(s) {unknown}; stages of this preset: "
                             f"{', '.join(known)}")
    keep = set(wanted) | {"check_data"}
    for stage in stages:
        if stage.name in keep:
            missing = [s for s in stage.inputs if s not in keep]
            if missing:
                raise WsisbenchError(f"config 'stages': {stage.name!r} reads {missing}; list them too")
    return [s for s in stages if s.name in keep]
