"""``wsisbench list``: the methods, their presets and the benchmarks."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list methods, presets and benchmarks",
                              description="List the methods (with their presets) and the benchmarks.")
    p.add_argument("what", nargs="?", choices=["methods", "presets", "benchmarks", "all"], default="all",
                   help="what to list (default: all)")
    p.set_defaults(func=list_command)


def list_command(args) -> int:
    from mmengine.config import Config

    from wsisbench.benchmarks import list_benchmarks
    from wsisbench.presets import list_methods, list_presets, preset_path

    if args.what in ("methods", "presets", "all"):
        print("methods and presets:")
        for method in list_methods():
            print(f"  {method}")
            if args.what != "methods":
                for preset in list_presets(method):
                    cfg = Config.fromfile(str(preset_path(method, preset)))
                    bench = cfg.get("benchmark", {}).get("name", "?")
                    print(f"      {preset:<28} benchmark: {bench}")
    if args.what in ("benchmarks", "all"):
        print("benchmarks:")
        for spec in list_benchmarks():
            print(f"  {spec.name:<10} {spec.description}")
    return 0
