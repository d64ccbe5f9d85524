"""Run a method's stages in a work dir: skip finished stages, resume interrupted ones, write result.json.

Work dir layout::

    <work_dir>/run.json              which config (hash) this directory belongs to
    <work_dir>/<stage>/              a finished stage: artifacts + manifest.json
    <work_dir>/<stage>.partial/      a stage in progress (kept after a crash only for resumable stages)
    <work_dir>/result.json           metrics, protocol, timings, memory, environment, config
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from mmengine.config import Config
from mmengine.dist import broadcast_object_list

from wsisbench.errors import WsisbenchError
from wsisbench.evaluation.profiling import Profiler
from wsisbench.utils.atomic import atomic_write_json
from wsisbench.utils.hashing import stable_hash

from .context import RunContext
from .distributed import setup_distributed
from .environment import environment_record
from .manifest import read_valid_manifest, write_manifest
from .preflight import data_check_stage, require_pretrained
from .qualitative import PARTIAL_SUFFIX

RESULT_SCHEMA = "wsisbench.result/1"
#: config keys that say where and how a run executes, not what it computes (left out of the hash)
EXECUTION_KEYS = ("work_dir", "launcher", "device")


def config_hash(cfg: Config) -> str:
    """Identity of what a config computes: every key except where/how it runs and the data's location."""
    d = cfg.to_dict()
    for key in EXECUTION_KEYS:
        d.pop(key, None)
    bench = dict(d.get("benchmark", {}))
    bench.pop("data_root", None)
    d["benchmark"] = bench
    return stable_hash(d)


def claim_work_dir(work_dir: Path, cfg: Config, chash: str, overwrite: bool) -> None:
    """Make ``work_dir`` this config's, refusing to mix it with another config's run."""
    record_path = work_dir / "run.json"
    if record_path.exists():
        try:
            record = json.loads(record_path.read_text())
        except ValueError as e:
            raise WsisbenchError(f"{record_path}: unreadable run record ({e}); remove it or use --overwrite") from e
        if record.get("config_hash") != chash:
            if not overwrite:
                raise WsisbenchError(
                    f"work dir {work_dir} holds a run of another config (method {record.get('method')!r}, preset "
                    f"{record.get('preset')!r}, config hash {record.get('config_hash')}); this config hashes to "
                    f"{chash}. Choose another --work-dir, or pass --overwrite to discard the old run.")
            shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if not record_path.exists():
        atomic_write_json(record_path, {"method": cfg.get("method"), "preset": cfg.get("preset"),
                                        "config_hash": chash, "created": time.strftime("%Y-%m-%dT%H:%M:%S")})


def _broadcast(obj):
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]


def run_method(cfg: Config, *, work_dir: str | Path, device: str = "cpu", launcher: str = "none",
               overwrite: bool = False) -> Path:
    """Run ``cfg.method`` end to end; returns the path of result.json.

    Every process of a distributed launch calls this; stages split their own work across ranks and the
    main rank writes manifests and result.json.
    """
    from wsisbench.benchmarks import get_benchmark
    from wsisbench.registry import METHODS

    require_pretrained(cfg)
    setup_distributed(launcher, device)
    work_dir = Path(work_dir).resolve()
    chash = config_hash(cfg)
    benchmark = get_benchmark(cfg.benchmark["name"])

    ctx = RunContext(cfg=cfg, work_dir=work_dir, device=device, launcher=launcher, benchmark=benchmark,
                     data_root=Path("."), config_hash=chash)
    # The main rank prepares (and for the embedded benchmark, generates) the data and claims the work dir.
    error = None
    if ctx.is_main:
        try:
            ctx.data_root = benchmark.resolve_root(cfg.benchmark.get("data_root"), params=cfg.benchmark)
            claim_work_dir(work_dir, cfg, chash, overwrite)
        except WsisbenchError as e:
            error = str(e)
    if ctx.distributed:
        error, root = _broadcast((error, str(ctx.data_root)))
        ctx.data_root = Path(root)
    if error:
        raise WsisbenchError(error)

    method_cls = METHODS.get(cfg.method)
    if method_cls is None:
        from wsisbench.errors import UnknownNameError
        raise UnknownNameError("method", cfg.method, METHODS.module_dict)
    stages = [data_check_stage()] + method_cls(cfg).build_stages()

    stage_records: dict[str, dict] = {}
    summaries: dict[str, dict] = {}
    for i, stage in enumerate(stages, 1):
        final = work_dir / stage.name
        partial = work_dir / f"{stage.name}{PARTIAL_SUFFIX}"
        manifest = read_valid_manifest(final, chash)
        if manifest is not None:
            ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: done before, reusing {final}")
            stage_records[stage.name] = dict(manifest.get("resources", {}), skipped=True)
            summaries[stage.name] = manifest.get("summary") or {}
            continue
        ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: {stage.description}")
        if ctx.is_main:
            if final.exists():
                shutil.rmtree(final)
            if partial.exists() and not stage.resumable:
                shutil.rmtree(partial)
            partial.mkdir(parents=True, exist_ok=True)
        ctx.barrier()
        profiler = Profiler(device=device, warmup=0)
        with profiler.phase(stage.name):
            summary = stage(ctx, partial) or {}
        record = profiler.phases[stage.name]
        usage = {"wall_time_s": record.wall_time_s, "peak_rss_mib": record.peak_rss_mib,
                 "rss_method": record.rss_method, "cuda_max_allocated_mib": record.cuda_max_allocated_mib,
                 "cuda_max_reserved_mib": record.cuda_max_reserved_mib}
        ctx.barrier()
        if ctx.is_main:
            write_manifest(partial, {"stage": stage.name, "config_hash": chash, "method": cfg.method,
                                     "resources": usage, "summary": summary, "environment": environment_record(),
                                     "finished": time.strftime("%Y-%m-%dT%H:%M:%S")})
            partial.replace(final)
            ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: finished in {usage['wall_time_s']:.1f} s, "
                    f"peak RSS {usage['peak_rss_mib']:.0f} MiB")
        ctx.barrier()
        stage_records[stage.name] = dict(usage, skipped=False)
        summaries[stage.name] = summary

    result_path = work_dir / "result.json"
    if ctx.is_main:
        atomic_write_json(result_path, build_result(cfg, ctx, stage_records, summaries))
    ctx.barrier()
    return result_path


def build_result(cfg: Config, ctx: RunContext, stage_records: dict, summaries: dict) -> dict:
    """Assemble result.json (schema in docs/CONTRACTS.md) from the stages' summaries and resources."""
    evaluations: dict = {}
    qualitative: list = []
    profile: dict = {"device": ctx.device, "world_size": ctx.world_size}
    for summary in summaries.values():
        evaluations.update(summary.get("evaluations", {}))
        profile.update(summary.get("profile", {}))
        qualitative += summary.get("qualitative", [])
    profile["peak_rss_mib"] = max((r.get("peak_rss_mib") or 0.0 for r in stage_records.values()), default=0.0)
    cuda_peaks = [r["cuda_max_allocated_mib"] for r in stage_records.values() if r.get("cuda_max_allocated_mib")]
    if cuda_peaks:
        profile["cuda_max_allocated_mib"] = max(cuda_peaks)
    profile["total_wall_time_s"] = sum(r.get("wall_time_s", 0.0) for r in stage_records.values())
    flat = {f"{name}/{k}": v for name, ev in evaluations.items() for k, v in ev.get("metrics", {}).items()}
    for key, unit in (("sec_per_iter", "time"), ("sec_per_img", "time"), ("peak_rss_mib", "memory"),
                      ("cuda_max_allocated_mib", "memory")):
        if profile.get(key) is not None:  # e.g. no sec/iter when every iteration was warm-up
            flat[f"{unit}/{key}"] = profile[key]
    return {
        "schema": RESULT_SCHEMA,
        "method": cfg.method,
        "preset": cfg.get("preset", "custom"),
        "config_hash": ctx.config_hash,
        "data": "embedded" if ctx.benchmark.embedded else "paper",
        "benchmark": ctx.benchmark.name,
        "evaluations": evaluations,
        "metrics": flat,
        "profile": profile,
        "stages": stage_records,
        "qualitative": qualitative,   # images with label maps / localization maps for reports
        "environment": environment_record(),
        "config": cfg.to_dict(),
    }
