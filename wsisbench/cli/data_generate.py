"""``wsisbench data generate``: generate a generated benchmark (``embedded`` or ``mechanism``) and print a
summary."""
from __future__ import annotations

import time
from pathlib import Path

BENCHMARKS = ("embedded", "mechanism")
#: parameters both benchmarks take from the command line
_COMMON = ("num_train", "num_val", "image_size", "seed", "band_width")
#: the mechanism benchmark's own numeric options: (option, type, metavar, help)
_MECHANISM_OPTIONS = (
    ("--max-instances", int, "N", "most instances per image (default: %(default)s)"),
    ("--multi-rate", float, "P", "share of images planned with 2-4 instances of one class (default: %(default)s)"),
    ("--low-contrast-rate", float, "P",
     "share of instances on a patch of their own body colours (default: %(default)s)"),
    ("--clutter-rate", float, "P",
     "share of instances with unlabelled same-coloured blobs touching them (default: %(default)s)"),
    ("--person-rate", float, "P",
     "label-noise view: share of images with the dominant class 'person' (default: %(default)s = off)"),
    ("--person-label-drop", float, "P", "label-noise view: rate at which the person label is dropped from the "
                                        "train label lists (default: %(default)s)"),
    ("--imbalance", float, "R",
     "imbalance view: rarest / most frequent class frequency in train (default: %(default)s = balanced)"),
    ("--member-cue", str, "body|part",
     "where a family member's own shape parameter shows: its body (default: %(default)s) or only its part "
     "(parts view: bodies name the family only)"),
    ("--body-family", str, "own|random",
     "whose body an instance wears: its family's (default: %(default)s) or a random family's (with --member-cue "
     "part: only the part names the class)"),
)


def _dest(option: str) -> str:
    """``"--multi-rate"`` -> ``"multi_rate"``: the parameter an option sets."""
    return option[2:].replace("-", "_")


def register(subparsers) -> None:
    from wsisbench.benchmarks.mechanism.generate import MechanismParams
    from wsisbench.benchmarks.synthetic.generate import EmbeddedParams

    d, m = EmbeddedParams(), MechanismParams()
    parser = subparsers.add_parser(
        "generate",
        help="generate the embedded synthetic benchmark (or the mechanism benchmark)",
        description="Generate a synthetic benchmark (VOC, COCO and LID layouts) deterministically: 'embedded' "
                    "(default) or 'mechanism' (parts and bodies, shape families, same-class multiples; see "
                    "docs/mechanism-benchmark.md). Without --out it goes to the cache ($WSISBENCH_HOME/benchmarks/, "
                    "default ~/.cache/wsisbench/benchmarks/) under a name that hashes the parameters; an existing "
                    "benchmark with the same parameters is reused unless --force is given.",
    )
    parser.add_argument("--benchmark", choices=BENCHMARKS, default="embedded",
                        help="which benchmark to generate (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="benchmark directory to write (default: the cache location for these parameters)")
    parser.add_argument("--num-train", type=int, default=None, metavar="N",
                        help=f"training images (default: {d.num_train}; mechanism: {m.num_train})")
    parser.add_argument("--num-val", type=int, default=None, metavar="N",
                        help=f"validation images (default: {d.num_val}; mechanism: {m.num_val})")
    parser.add_argument("--image-size", type=int, default=d.image_size, metavar="S",
                        help="image side in pixels, square images (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=d.seed, metavar="S", help="random seed (default: %(default)s)")
    parser.add_argument("--band-width", type=int, default=None, metavar="PX",
                        help="void band width in pixels (default: max(1, round(image_size / 64)))")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if a benchmark with these parameters is already there")
    mech = parser.add_argument_group("mechanism benchmark only")
    for option, kind, metavar, text in _MECHANISM_OPTIONS:
        mech.add_argument(option, type=kind, default=getattr(m, _dest(option)), metavar=metavar, help=text)
    mech.add_argument("--workers", type=int, default=None, metavar="N",
                      help="processes rendering images; the files do not depend on it (default: "
                           "$WSISBENCH_WORKERS, else 1 below 500 images and half the CPU cores, at most 4, above)")
    parser.set_defaults(func=run)


def summary_table(meta: dict) -> str:
    """A plain-text table: instances per class and split, then instance and image totals."""
    splits = list(meta["splits"])
    counts = meta["counts"]
    rows = [(name, [counts[s]["instances_per_class"][name] for s in splits]) for name in meta["classes"]]
    rows.append(("instances", [counts[s]["num_instances"] for s in splits]))
    rows.append(("images", [counts[s]["num_images"] for s in splits]))
    split_of = {c: k for k, names in meta["class_split"].items() for c in names}
    width = max(len(r[0]) for r in rows) + 4
    lines = ["class".ljust(width) + "".join(s.rjust(8) for s in splits) + "  split"]
    for name, values in rows:
        tag = f"  {split_of[name]}" if name in split_of else ""
        lines.append(name.ljust(width) + "".join(str(v).rjust(8) for v in values) + tag)
    return "\n".join(lines)


def run(args) -> int:
    if getattr(args, "benchmark", "embedded") == "mechanism":
        from wsisbench.benchmarks.mechanism import MechanismParams, ensure_mechanism

        names = _COMMON + tuple(_dest(option) for option, *_ in _MECHANISM_OPTIONS)
        meta = _generate(args, MechanismParams.from_mapping({k: getattr(args, k) for k in names}), ensure_mechanism,
                         workers=args.workers)
        _print_mechanism(meta)
    else:
        from wsisbench.benchmarks.synthetic import EmbeddedParams, ensure_embedded

        meta = _generate(args, EmbeddedParams.from_mapping({k: getattr(args, k) for k in _COMMON}), ensure_embedded)
        gen = meta["generator"]
        print(f"generator v{gen['version']}, seed {meta['seed']}, {meta['image_size']} px images, "
              f"void band {gen['params']['band_width']} px, {meta['num_classes']} classes")
    print(summary_table(meta))
    return 0


def _generate(args, params, ensure, **kwargs) -> dict:
    """``ensure(args.out, force=args.force, **kwargs, **params)``: the benchmark of ``params`` at ``--out`` or in
    the cache, generated if absent. Prints where it is and whether it was reused; returns its ``meta.json``."""
    generator = params.generator
    reused = not args.force and generator.is_generated(args.out or generator.cache_root(params), params)
    t0 = time.perf_counter()
    root = ensure(args.out, force=args.force, **kwargs, **vars(params))
    seconds = time.perf_counter() - t0
    how = "already there, reused" if reused else f"generated in {seconds:.1f} s"
    print(f"{generator.label} benchmark at {root} ({how})")
    return generator.load_meta(root)


def _print_mechanism(meta: dict) -> None:
    """The mechanism benchmark's generator, summary and views, from its ``meta.json``."""
    gen, summary = meta["generator"], meta["summary"]
    print(f"generator v{gen['version']} (hash {gen['hash']}), seed {meta['seed']}, {meta['image_size']} px images, "
          f"void band {gen['params']['band_width']} px, {meta['num_classes']} classes in "
          f"{len(meta['families'])} families")
    print(f"{summary['num_images']} images; share with same-class multiples "
          f"{summary['share_same_class_multiples']:.3f}; mean part fraction {summary['mean_part_fraction']:.3f}")
    for view, info in meta["views"].items():
        if info:
            print(f"view {view}: " + ", ".join(f"{k}={v}" for k, v in info.items()
                                               if not isinstance(v, (list, dict))))
