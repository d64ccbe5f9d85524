"""``wsisbench list``: the methods (from the registry), their presets and the benchmarks."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list methods, presets and benchmarks",
                              description="List the registered methods (with their presets and the paper cells "
                                          "each preset reproduces) and the benchmarks.")
    p.add_argument("what", nargs="?", choices=["methods", "presets", "benchmarks", "all"], default="all",
                   help="what to list (default: all)")
    p.set_defaults(func=list_command)


def _first_comment(path) -> str:
    """The first comment line of a preset file (its one-line description)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def list_command(args) -> int:
    from wsisbench.benchmarks import list_benchmarks
    from wsisbench.leaderboards.metafile import load_metafiles
    from wsisbench.presets import configs_dir, list_presets, preset_path, registered_methods
    from wsisbench.registry import METHODS

    if args.what in ("methods", "presets", "all"):
        metafiles = load_metafiles()
        print("methods and presets:")
        for method in registered_methods():
            summary = getattr(METHODS.get(method), "summary", "")
            print(f"  {method:<20} {summary}")
            if args.what == "methods":
                continue
            if configs_dir(method) is None:
                print("      (no presets: configs/<method>/ is missing)")
                continue
            cells = metafiles[method].presets if method in metafiles else {}
            for preset in list_presets(method):
                mark = "*" if cells.get(preset) else " "
                print(f"    {mark} {preset:<36} {_first_comment(preset_path(method, preset))[:90]}")
        if args.what != "methods":
            print("  (* the preset reproduces cells of its paper's tables: see the method's metafile.yaml)")
    if args.what in ("benchmarks", "all"):
        print("benchmarks:")
        for spec in list_benchmarks():
            print(f"  {spec.name:<10} {spec.description}")
    return 0
