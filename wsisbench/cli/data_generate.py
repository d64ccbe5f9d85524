"""``wsisbench data generate``: generate the embedded synthetic benchmark and print a summary."""
from __future__ import annotations

import time
from pathlib import Path


def register(subparsers) -> None:
    from wsisbench.benchmarks.synthetic.generate import EmbeddedParams

    d = EmbeddedParams()
    parser = subparsers.add_parser(
        "generate",
        help="generate the embedded synthetic benchmark",
        description="Generate the embedded synthetic benchmark (VOC, COCO and LID layouts) deterministically. "
                    "Without --out it goes to the cache ($WSISBENCH_HOME/benchmarks/, default "
                    "~/.cache/wsisbench/benchmarks/) under a name that hashes the parameters; an existing "
                    "benchmark with the same parameters is reused unless --force is given.",
    )
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="benchmark directory to write (default: the cache location for these parameters)")
    parser.add_argument("--num-train", type=int, default=d.num_train, metavar="N", help="training images (default: %(default)s)")
    parser.add_argument("--num-val", type=int, default=d.num_val, metavar="N", help="validation images (default: %(default)s)")
    parser.add_argument("--image-size", type=int, default=d.image_size, metavar="S",
                        help="image side in pixels, square images (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=d.seed, metavar="S", help="random seed (default: %(default)s)")
    parser.add_argument("--band-width", type=int, default=None, metavar="PX",
                        help="void band width in pixels (default: max(1, round(image_size / 64)))")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if a benchmark with these parameters is already there")
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
    from wsisbench.benchmarks.synthetic import EmbeddedParams, embedded_root, ensure_embedded, is_generated, load_meta

    params = EmbeddedParams(num_train=args.num_train, num_val=args.num_val, image_size=args.image_size,
                            seed=args.seed, band_width=args.band_width)
    reused = not args.force and is_generated(args.out or embedded_root(params), params)
    t0 = time.perf_counter()
    root = ensure_embedded(args.out, force=args.force, **vars(params))
    seconds = time.perf_counter() - t0
    meta = load_meta(root)
    how = "already there, reused" if reused else f"generated in {seconds:.1f} s"
    print(f"embedded benchmark at {root} ({how})")
    params = meta["generator"]["params"]
    print(f"generator v{meta['generator']['version']}, seed {meta['seed']}, {meta['image_size']} px images, "
          f"void band {params['band_width']} px, {meta['num_classes']} classes")
    print(summary_table(meta))
    return 0
