"""``wsisbench run``: run a method's stages on a benchmark and print its metrics."""
from __future__ import annotations

import json
import os
from pathlib import Path

from mmengine.config import DictAction


class CfgOptions(DictAction):
    """mmengine's KEY=VALUE parser, with a clear error for values it cannot parse (e.g. ``a=dict(b=1)``, which
    sends mmengine's parser into endless recursion)."""

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            super().__call__(parser, namespace, values, option_string)
        except (RecursionError, AssertionError, ValueError):
            parser.error(f"{option_string}: cannot parse {' '.join(values)!r}; give nested keys one by one "
                         f"(a.b=1 a.c=2), lists as a=[1,2], and dicts in a config file (--config)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="run a method end to end (embedded preset by default)",
        description="Run a method's stages (training, maps, predictions, evaluation) in a work dir. Finished "
                    "stages are reused and an interrupted run resumes where it stopped. Ends by printing the "
                    "metrics and the path of result.json.")
    p.add_argument("--method", help="method name (see `wsisbench list`)")
    p.add_argument("--preset", default=None, help="preset of the method (default: embedded)")
    p.add_argument("--config", default=None, help="a config file instead of a named preset")
    p.add_argument("--data-root", default=None, help="root of a real dataset (paper presets)")
    p.add_argument("--work-dir", default=None,
                   help="where stages write (default: work_dirs/<method>/<preset>[-<config hash>])")
    p.add_argument("--device", choices=["cpu", "cuda"], default=None,
                   help="default: cuda when available, else cpu")
    p.add_argument("--cfg-options", nargs="+", action=CfgOptions, default=None, metavar="KEY=VALUE",
                   help="override config keys, e.g. train.max_iters=100 (unknown keys are an error)")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none",
                   help="distributed launcher (use `torchrun --nproc_per_node N -m wsisbench.cli.main run "
                        "--launcher pytorch ...`)")
    p.add_argument("--overwrite", action="store_true",
                   help="discard a work dir that holds another config's run")
    p.add_argument("--seeds", nargs="+", type=int, default=None, metavar="K",
                   help="run once per seed (cfg.seed = K; the benchmark's data stays the same) into "
                        "<work dir>/seed<K>, one after the other (finished stages are reused), then print the mean "
                        "± std over seeds")
    p.set_defaults(func=run_command)


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_command(args) -> int:
    from wsisbench.errors import WsisbenchError
    from wsisbench.pipeline import config_hash, run_method
    from wsisbench.presets import load_config

    if not args.method and not args.config:
        raise WsisbenchError("give --method NAME (see `wsisbench list`) or --config PATH")
    cfg = load_config(args.method, args.preset, args.config, args.cfg_options, args.data_root)
    device = args.device or default_device()
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise WsisbenchError("--device cuda, but torch sees no CUDA device")
    work_dir = args.work_dir
    if work_dir is None:
        suffix = f"-{config_hash(cfg)[:8]}" if args.cfg_options or args.config else ""
        work_dir = Path("work_dirs") / cfg.method / f"{cfg.preset}{suffix}"
    main_rank = int(os.environ.get("RANK", "0")) == 0
    if args.seeds is None:
        result_path = run_method(cfg, work_dir=work_dir, device=device, launcher=args.launcher,
                                 overwrite=args.overwrite)
        if main_rank:
            print_result(result_path)
        return 0
    seeds = list(dict.fromkeys(args.seeds))
    if args.cfg_options and "seed" in args.cfg_options:
        raise WsisbenchError("give the seeds with --seeds only, not also --cfg-options seed=...")
    results = []
    for i, seed in enumerate(seeds, 1):
        cfg_k = load_config(args.method, args.preset, args.config, args.cfg_options, args.data_root)
        cfg_k.seed = int(seed)
        if main_rank:
            print(f"\n=== seed {seed} ({i}/{len(seeds)}): {Path(work_dir) / f'seed{seed}'}", flush=True)
        results.append(run_method(cfg_k, work_dir=Path(work_dir) / f"seed{seed}", device=device,
                                  launcher=args.launcher, overwrite=args.overwrite))
    if main_rank:
        for path in results:
            print_result(path)
        print_seed_summary(results)
    return 0


def print_seed_summary(result_paths: list[Path]) -> None:
    """Per-seed values and mean ± std (sample std, ddof 1) of every metric over the runs (quality in percent)."""
    import math

    import numpy as np

    from wsisbench.leaderboards.units import result_unit

    results = [json.loads(Path(p).read_text()) for p in result_paths]
    seeds = [r.get("config", {}).get("seed", "?") for r in results]
    keys = list(dict.fromkeys(k for r in results for k in r.get("metrics", {})))
    header = ["metric", *[f"seed {s}" for s in seeds], "mean ± std"]
    rows = []
    for k in keys:
        unit = result_unit(k)
        scale = 100.0 if unit == "fraction" else 1.0
        vals = [r.get("metrics", {}).get(k) for r in results]
        nums = np.array([v if isinstance(v, (int, float)) and v is not None else math.nan for v in vals], dtype=float)
        cells = ["nan" if math.isnan(v) else f"{scale * v:.2f}" for v in nums]
        ok = nums[~np.isnan(nums)]
        if ok.size == 0:
            summary = "nan"
        elif ok.size == 1:
            summary = f"{scale * ok[0]:.2f}"
        else:
            summary = f"{scale * ok.mean():.2f} ± {scale * ok.std(ddof=1):.2f}"
        label = f"{k} ({'%' if unit == 'fraction' else unit})"
        rows.append([label, *cells, summary])
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    first = results[0] if results else {}
    print(f"\n{first.get('method')} / {first.get('preset')}: {len(results)} seeds (mean ± sample std)")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def print_result(result_path: Path) -> None:
    """Print result.json's metrics as a table and its path."""
    result = json.loads(Path(result_path).read_text())
    rows = []
    for name, ev in result.get("evaluations", {}).items():
        for metric, value in ev.get("metrics", {}).items():
            rows.append((name, ev.get("protocol", ""), metric, f"{100 * value:.2f}" if value == value else "nan"))
    for key in ("sec_per_iter", "sec_per_img", "peak_rss_mib", "total_wall_time_s"):
        if key in result.get("profile", {}):
            rows.append(("profile", result["profile"]["device"], key, f"{result['profile'][key]:.3f}"))
    widths = [max(len(str(r[i])) for r in rows + [("evaluation", "protocol", "metric", "value (%)")])
              for i in range(4)]
    header = ("evaluation", "protocol", "metric", "value (%)")
    print()
    print(f"{result['method']} / {result['preset']} on {result['benchmark']} ({result['data']} data)")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print(f"\nresult: {Path(result_path).resolve()}")
