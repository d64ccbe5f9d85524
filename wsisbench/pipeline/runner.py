"""Run a method's stages in a work dir: reuse finished stages, resume interrupted ones, write result.json.

Work dir layout::

    <work_dir>/run.json              which config (hash) and which data (fingerprint) this directory belongs to
    <work_dir>/<stage>/              a finished stage: artifacts + manifest.json
    <work_dir>/<stage>.partial/      a stage in progress (kept after a crash only for resumable stages)
    <work_dir>/result.json           metrics, protocol, timings, memory, environment, config, data fingerprint

A finished stage is reused when its manifest belongs to this config, its artifacts are intact, none of its
inputs was re-run in this invocation, and each input still has the content hash the manifest recorded.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from mmengine.config import Config
from mmengine.dist import broadcast_object_list

from wsisbench.errors import UnknownNameError, WsisbenchError
from wsisbench.evaluation.profiling import Profiler
from wsisbench.utils.atomic import atomic_write_json
from wsisbench.utils.hashing import stable_hash

from .context import RunContext
from .distributed import setup_distributed
from .environment import environment_record
from .manifest import read_valid_manifest, write_manifest
from .preflight import data_check_stage, require_pretrained
from .qualitative import PARTIAL_SUFFIX
from .stage import Stage, select_stages

RESULT_SCHEMA = "wsisbench.result/1"
#: the file a finished run writes into its work dir
RESULT_NAME = "result.json"
#: config keys that say where, how and how much of a run executes, not what a stage computes (left out of
#: the hash): a run of a subset of stages shares its work dir with the full run
EXECUTION_KEYS = ("work_dir", "launcher", "device", "stages", "stage_cache")
#: summary keys that go into result.json; two stages may not write the same evaluation or profile key
RESULT_PARTS = ("evaluations", "profile")
#: scratch file in a partial stage directory: the input content hashes the stage started from
INPUTS_MARKER = ".inputs.json"


def config_hash(cfg: Config) -> str:
    """Identity of what a config computes: every key except where/how it runs and the data's location
    (the data's identity is the run's data fingerprint, recorded beside the hash)."""
    d = cfg.to_dict()
    for key in EXECUTION_KEYS:
        d.pop(key, None)
    bench = dict(d.get("benchmark", {}))
    bench.pop("data_root", None)
    d["benchmark"] = bench
    return stable_hash(d)


def claim_work_dir(work_dir: Path, cfg: Config, chash: str, fingerprint: dict, overwrite: bool) -> None:
    """Make ``work_dir`` this run's, refusing to mix it with a run of another config or of other data."""
    record_path = work_dir / "run.json"
    if record_path.exists():
        try:
            record = json.loads(record_path.read_text())
        except ValueError as e:
            raise WsisbenchError(f"{record_path}: unreadable run record ({e}); remove it or use --overwrite") from e
        problem = None
        if record.get("config_hash") != chash:
            problem = (f"a run of another config (method {record.get('method')!r}, preset {record.get('preset')!r}, "
                       f"config hash {record.get('config_hash')}); this config hashes to {chash}")
        elif (record.get("data") or {}).get("identity") != fingerprint["identity"]:
            old = record.get("data") or {}
            what = (f"data root {old.get('root')} -> {fingerprint['root']}" if old.get("root") != fingerprint["root"]
                    else "the same root, whose split lists or annotation files changed")
            problem = f"a run on other data ({what})"
        if problem:
            if not overwrite:
                raise WsisbenchError(f"work dir {work_dir} holds {problem}. Choose another --work-dir, or pass "
                                     f"--overwrite to discard the old run.")
            shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if not record_path.exists():
        atomic_write_json(record_path, {"method": cfg.get("method"), "preset": cfg.get("preset"),
                                        "config_hash": chash, "data": fingerprint,
                                        "created": time.strftime("%Y-%m-%dT%H:%M:%S")})


def _broadcast(obj):
    box = [obj]
    broadcast_object_list(box, src=0)
    return box[0]


def _stale_reason(stage: Stage, manifest: dict, rerun: set[str], content: dict[str, str]) -> str | None:
    """Why a valid finished stage cannot be reused (an input re-run or changed), or None."""
    for name in stage.inputs:
        if name in rerun:
            return f"its input {name!r} was re-run"
        if (manifest.get("inputs") or {}).get(name) != content.get(name):
            return f"its input {name!r} changed since it ran"
    return None


def _prepare_partial(partial: Path, stage: Stage, inputs: dict[str, str]) -> None:
    """An empty partial directory, or the one a crashed run of a resumable stage left on the same inputs.

    ``.inputs.json`` in the partial directory records the input content hashes the work started from, so
    a resumable stage never continues from checkpoints that were made on other inputs.
    """
    marker = partial / INPUTS_MARKER
    if partial.exists():
        try:
            same = json.loads(marker.read_text()) == inputs
        except (OSError, ValueError):
            same = False
        if not (stage.resumable and same):
            shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    atomic_write_json(marker, inputs)


def run_method(cfg: Config, *, work_dir: str | Path, device: str = "cpu", launcher: str = "none",
               overwrite: bool = False) -> Path:
    """Run ``cfg.method`` end to end; returns the path of result.json.

    Every process of a distributed launch calls this; stages split their own work across ranks and the
    main rank writes manifests and result.json.
    """
    from wsisbench.benchmarks import get_benchmark
    from wsisbench.benchmarks.fingerprint import dataset_fingerprint
    from wsisbench.registry import METHODS

    require_pretrained(cfg)
    setup_distributed(launcher, device, cfg.get("cpu_threads"))
    work_dir = Path(work_dir).resolve()
    chash = config_hash(cfg)
    benchmark = get_benchmark(cfg.benchmark["name"])

    ctx = RunContext(cfg=cfg, work_dir=work_dir, device=device, launcher=launcher, benchmark=benchmark,
                     data_root=Path("."), config_hash=chash)
    # The main rank prepares (for generated benchmarks: generates) the data and claims the work dir.
    error, fingerprint = None, None
    if ctx.is_main:
        try:
            ctx.data_root = benchmark.resolve_root(cfg.benchmark.get("data_root"), params=cfg.benchmark)
            fingerprint = dataset_fingerprint(benchmark, ctx.data_root, _run_splits(cfg))
            claim_work_dir(work_dir, cfg, chash, fingerprint, overwrite)
        except WsisbenchError as e:
            error = str(e)
    if ctx.distributed:
        error, root, fingerprint = _broadcast((error, str(ctx.data_root), fingerprint))
        ctx.data_root = Path(root)
    if error:
        raise WsisbenchError(error)

    method_cls = METHODS.get(cfg.method)
    if method_cls is None:
        raise UnknownNameError("method", cfg.method, METHODS.module_dict)
    stages = select_stages([data_check_stage()] + method_cls(cfg).build_stages(), cfg.get("stages"))

    records: dict[str, dict] = {}
    summaries: dict[str, dict] = {}
    content: dict[str, str] = {}
    rerun: set[str] = set()
    for i, stage in enumerate(stages, 1):
        final = work_dir / stage.name
        partial = work_dir / f"{stage.name}{PARTIAL_SUFFIX}"
        manifest = _broadcast(read_valid_manifest(final, chash) if ctx.is_main else None) if ctx.distributed \
            else read_valid_manifest(final, chash)
        stale = _stale_reason(stage, manifest, rerun, content) if manifest is not None else None
        if manifest is not None and stale is None:
            ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: done before, reusing {final}")
            records[stage.name] = dict(manifest.get("resources", {}), skipped=True, inputs=list(stage.inputs))
            summaries[stage.name] = manifest.get("summary") or {}
            content[stage.name] = manifest["content_hash"]
            continue
        why = f" (re-run: {stale})" if stale else ""
        shared = shared_stage_dir(cfg, stage, fingerprint, {name: content[name] for name in stage.inputs})
        cached = read_shared_manifest(shared) if shared is not None and ctx.is_main else None
        if ctx.distributed:
            cached = _broadcast(cached)
        if cached is not None:
            ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: shared with another preset, copying {shared}")
            if ctx.is_main:
                if final.exists():
                    shutil.rmtree(final)
                if partial.exists():
                    shutil.rmtree(partial)
                shutil.copytree(shared, partial)
                written = write_manifest(partial, dict(cached, config_hash=chash, method=cfg.method,
                                                       shared_from=str(shared)))
                partial.replace(final)
            ctx.barrier()
            records[stage.name] = dict(cached.get("resources", {}), skipped=True, shared_from=str(shared),
                                       inputs=list(stage.inputs))
            summaries[stage.name] = cached.get("summary") or {}
            content[stage.name] = _broadcast(written["content_hash"] if ctx.is_main else None) \
                if ctx.distributed else written["content_hash"]
            rerun.add(stage.name)
            continue
        ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: {stage.description}{why}")
        if ctx.is_main:
            if final.exists():
                shutil.rmtree(final)
            _prepare_partial(partial, stage, {name: content[name] for name in stage.inputs})
        ctx.barrier()
        profiler = Profiler(device=device, warmup=0)
        ctx.stage = stage
        try:
            with profiler.phase(stage.name):
                summary = stage(ctx, partial) or {}
        finally:
            ctx.stage = None
        record = profiler.phases[stage.name]
        usage = {"wall_time_s": record.wall_time_s, "peak_rss_mib": record.peak_rss_mib,
                 "rss_method": record.rss_method, "cuda_max_allocated_mib": record.cuda_max_allocated_mib,
                 "cuda_max_reserved_mib": record.cuda_max_reserved_mib}
        ctx.barrier()
        stage_hash = None
        if ctx.is_main:
            written = write_manifest(partial, {
                "stage": stage.name, "config_hash": chash, "method": cfg.method, "resources": usage,
                "summary": summary, "inputs": {name: content[name] for name in stage.inputs},
                "environment": environment_record(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S")})
            stage_hash = written["content_hash"]
            partial.replace(final)
            if shared is not None:
                store_shared_stage(final, shared)
            ctx.log(f"[stage {i}/{len(stages)}] {stage.name}: finished in {usage['wall_time_s']:.1f} s, "
                    f"peak RSS {usage['peak_rss_mib']:.0f} MiB")
        content[stage.name] = _broadcast(stage_hash) if ctx.distributed else stage_hash
        rerun.add(stage.name)
        records[stage.name] = dict(usage, skipped=False, inputs=list(stage.inputs))
        summaries[stage.name] = summary

    result_path = work_dir / RESULT_NAME
    if ctx.is_main:
        atomic_write_json(result_path, build_result(cfg, ctx, records, summaries, fingerprint))
    ctx.barrier()
    return result_path


def shared_stage_dir(cfg: Config, stage: Stage, fingerprint: dict | None,
                     inputs: dict[str, str] | None = None) -> Path | None:
    """``<stage_cache>/<stage>-<key>`` for a shared stage when ``cfg.stage_cache`` is set, else None.

    The key hashes the stage's function, the data, ``stage.share(cfg)`` and the content hashes of the stage's
    inputs (``inputs``, name -> hash): two presets (of one method or of two methods built on the same stage
    function) that agree on these compute the same stage, and a stage is never reused on other inputs."""
    cache = cfg.get("stage_cache")
    if not cache or stage.share is None:
        return None
    fn = f"{getattr(stage.fn, '__module__', '')}.{getattr(stage.fn, '__qualname__', stage.name)}"
    key = {"function": fn, "data": (fingerprint or {}).get("content"), "config": stage.share(cfg)}
    if stage.inputs:   # not in the key of a stage without inputs, so that existing cache entries stay valid
        key["inputs"] = {name: (inputs or {})[name] for name in stage.inputs}
    key = stable_hash(key)
    return Path(cache).expanduser().resolve() / f"{stage.name}-{key}"


def read_shared_manifest(shared: Path) -> dict | None:
    """The manifest of a complete, intact stage stored in the stage cache (whatever preset made it), or None."""
    from .manifest import MANIFEST_NAME

    try:
        manifest = json.loads((shared / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    return read_valid_manifest(shared, manifest.get("config_hash", "")) if manifest.get("config_hash") else None


def store_shared_stage(final: Path, shared: Path) -> None:
    """Copy a finished stage into the stage cache (atomically: a temporary sibling renamed into place)."""
    if shared.exists():
        return
    from wsisbench.utils.atomic import atomic_directory

    with atomic_directory(shared) as tmp:
        shutil.copytree(final, tmp, dirs_exist_ok=True)


def _run_splits(cfg: Config) -> list[str]:
    bench = cfg.benchmark
    return sorted({bench.get("train_split"), bench.get("eval_split")} - {None})


def merge_summaries(summaries: dict[str, dict]) -> dict:
    """``evaluations`` and ``profile`` of every stage merged, and ``qualitative`` concatenated.

    A key that two stages both write is an error naming both: the last one would silently win otherwise.
    """
    merged: dict = {part: {} for part in RESULT_PARTS}
    owner: dict[tuple[str, str], str] = {}
    qualitative: list = []
    for stage, summary in summaries.items():
        for part in RESULT_PARTS:
            for key, value in (summary.get(part) or {}).items():
                if (part, key) in owner:
                    raise WsisbenchError(f"stages {owner[(part, key)]!r} and {stage!r} both write "
                                         f"result.json {part} key {key!r}; give one of them another name")
                owner[(part, key)] = stage
                merged[part][key] = value
        qualitative += summary.get("qualitative", [])
    merged["qualitative"] = qualitative
    return merged


def build_result(cfg: Config, ctx: RunContext, stage_records: dict, summaries: dict,
                 fingerprint: dict | None = None) -> dict:
    """Assemble result.json (schema in docs/CONTRACTS.md) from the stages' summaries and resources."""
    merged = merge_summaries(summaries)
    evaluations = merged["evaluations"]
    profile: dict = {"device": ctx.device, "world_size": ctx.world_size}
    profile.update(merged["profile"])
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
        "data_fingerprint": fingerprint or {},
        "evaluations": evaluations,
        "metrics": flat,
        "profile": profile,
        "stages": stage_records,
        "qualitative": merged["qualitative"],   # images with label maps / localization maps for reports
        "environment": environment_record(),
        "config": cfg.to_dict(),
    }
