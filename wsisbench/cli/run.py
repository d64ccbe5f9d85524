"""``wsisbench run``: run a method's stages on a benchmark and print its metrics."""
from __future__ import annotations

import json
import os
from pathlib import Path

from mmengine.config import DictAction


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
    p.add_argument("--cfg-options", nargs="+", action=DictAction, default=None, metavar="KEY=VALUE",
                   help="override config keys, e.g. train.max_iters=100 (unknown keys are an error)")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none",
                   help="distributed launcher (use `torchrun --nproc_per_node N -m wsisbench.cli.main run "
                        "--launcher pytorch ...`)")
    p.add_argument("--overwrite", action="store_true",
                   help="discard a work dir that holds another config's run")
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
    import wsisbench.methods  # noqa: F401  (registers the methods)
    import baselines  # noqa: F401

    result_path = run_method(cfg, work_dir=work_dir, device=device, launcher=args.launcher,
                             overwrite=args.overwrite)
    if int(os.environ.get("RANK", "0")) == 0:
        print_result(result_path)
    return 0


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
