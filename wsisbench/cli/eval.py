"""``wsisbench eval``: score predictions from any source against a benchmark or a ground-truth file.

Instance predictions are a COCO results json (``image_id`` may be the image's name, e.g. the VOC id);
semantic predictions are a folder of PNG label maps ``<image id>.png``. The task follows from ``--pred``
(a file: instance; a folder: semantic) unless ``--task`` says otherwise.

Ground truth: ``--benchmark NAME`` (with ``--data-root`` for real datasets; the embedded benchmark is
generated on first use) or ``--gt PATH`` (a COCO json, a VOC-layout root, or for semantic a folder of
label PNGs), with ``--split``.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

EPILOG = """examples:
  wsisbench eval --gt VOCdevkit --split val --pred results.json                      # protocol voc
  wsisbench eval --gt VOCdevkit --split val --pred results.json --protocol coco      # CIM-style, 0.25..0.75
  wsisbench eval --gt instances_val2017.json --pred segm.json --protocol coco --classes nonvoc
  wsisbench eval --benchmark embedded --split val --pred work_dirs/x/predictions/val  # semantic PNGs
  wsisbench eval --benchmark voc2012 --data-root /data/VOCdevkit --split val --pred preds/ --json"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="score predictions (COCO results json or PNG label maps) with a named protocol",
        description=__doc__.split("\n\n", 1)[1], epilog=EPILOG,
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--benchmark", help="benchmark name (see `wsisbench list benchmarks`)")
    src.add_argument("--gt", help="ground truth: COCO json, VOC-layout root, or a folder of label PNGs")
    p.add_argument("--data-root", default=None, help="root of a real dataset (with --benchmark)")
    p.add_argument("--split", default=None, help="split to score (default: val where the source has splits)")
    p.add_argument("--pred", required=True, help="COCO results json (instance) or folder of PNGs (semantic)")
    p.add_argument("--task", choices=["instance", "semantic"], default=None,
                   help="default: instance for a file, semantic for a folder")
    p.add_argument("--protocol", choices=["voc", "voc07", "coco", "semantic"], default=None,
                   help="instance protocol (default: the benchmark's; 'voc' for VOC-style ground truth, "
                        "'coco' for a COCO json)")
    p.add_argument("--iou-thrs", default=None,
                   help="comma-separated IoU thresholds (default: 0.25,0.5,0.7,0.75 on VOC-style data, "
                        "0.5:0.95 for coco on COCO data)")
    p.add_argument("--classes", default=None,
                   help="class subset: 'voc', 'nonvoc', a benchmark class split (e.g. 'B'), or ids/names "
                        "separated by commas; all images are kept")
    p.add_argument("--out-of-range", choices=["error", "background", "ignore"], default=None,
                   help="semantic: predicted values outside [0, C-1] (default: the benchmark's, else error)")
    p.add_argument("--num-classes", type=int, default=None,
                   help="semantic with a plain folder of label PNGs: number of classes C (background included)")
    p.add_argument("--no-abo", action="store_true", help="instance: skip ABO")
    p.add_argument("--name", default=None, help="key of this evaluation in --out (default: the split or 'eval')")
    p.add_argument("--out", default=None, help="write {'evaluations': {NAME: ...}, 'metrics': {...}} here")
    p.add_argument("--json", action="store_true", help="print the evaluation as JSON (NaN as null)")
    p.set_defaults(func=eval_command)


def _parse_thrs(text: str | None) -> list[float] | None:
    from wsisbench.errors import WsisbenchError

    if text is None:
        return None
    try:
        thrs = [float(t) for t in text.replace(" ", ",").split(",") if t]
    except ValueError:
        raise WsisbenchError(f"--iou-thrs {text!r}: expected numbers separated by commas") from None
    if not thrs:
        raise WsisbenchError("--iou-thrs is empty")
    return thrs


def _strict_json(obj: Any) -> Any:
    """NaN/inf -> None, recursively (printable as standard JSON)."""
    if isinstance(obj, dict):
        return {k: _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict_json(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _benchmark_sources(args) -> dict[str, Any]:
    """Ground truth, classes, defaults of ``--benchmark`` (see :class:`wsisbench.benchmarks.BenchmarkSpec`)."""
    from wsisbench.benchmarks import get_benchmark  # hook: the benchmark catalog resolves names and roots

    spec = get_benchmark(args.benchmark)
    root = Path(spec.resolve_root(args.data_root))
    names = list(spec.class_names(root))
    if names and names[0].lower() == "background":
        names = names[1:]
    return {"spec": spec, "root": root, "class_names": names}


def _instance_gt(root: Path, split: str, spec, class_names):
    """The benchmark's instance ground truth: the VOC layout where present (the protocol's definition: void
    pixels belong to no instance), else the COCO json. With both, the json's int image ids are accepted as
    aliases of the VOC ids (through its file names), so either naming scores against the same masks."""
    from wsisbench.datasets.voc import resolve_voc_root
    from wsisbench.errors import DataError
    from wsisbench.evaluation import api

    coco = next((p for p in (root / "annotations" / f"instances_{split}.json",
                              root / "annotations" / f"instances_{split}2017.json") if p.is_file()), None)
    voc = resolve_voc_root(root)
    if (voc / "ImageSets" / "Segmentation" / f"{split}.txt").is_file():
        gt = api.load_instance_gt(voc, split, class_names=class_names)
        if coco is not None:
            with open(coco) as f:
                images = json.load(f).get("images", [])
            gt.add_int_aliases({int(im["id"]): im.get("file_name", str(im["id"])) for im in images}, str(coco))
        return gt
    if coco is not None:
        return api.load_instance_gt(coco)
    raise DataError(f"benchmark {spec.name!r}: no instance ground truth for split {split!r} under {root}")


def run_eval(args) -> dict[str, Any]:
    """The ``evaluations`` entry that ``wsisbench eval`` prints (also used by tests)."""
    from wsisbench.errors import DataError, WsisbenchError
    from wsisbench.evaluation import api

    pred = Path(args.pred)
    if not pred.exists():
        raise DataError(f"{pred}: predictions not found")
    task = args.task or ("semantic" if pred.is_dir() or args.protocol == "semantic" else "instance")
    if task == "semantic" and args.protocol not in (None, "semantic"):
        raise WsisbenchError(f"--protocol {args.protocol} is an instance protocol; semantic predictions "
                             f"(a folder of PNGs) are scored with 'semantic'")
    bench = _benchmark_sources(args) if args.benchmark else None
    split = args.split
    if split is None and (bench is not None or (args.gt and not Path(args.gt).is_file())):
        split = "val"
    if task == "semantic":
        if bench is not None:
            spec, root = bench["spec"], bench["root"]
            lid_gt = root / "LID_track1_annotations" / split
            pairs = api.semantic_gt_pairs(lid_gt if lid_gt.is_dir() else root, split)
            names = ["background", *bench["class_names"]]
            policy = args.out_of_range or spec.semantic_out_of_range
            ignore = spec.ignore_index
        else:
            pairs = api.semantic_gt_pairs(args.gt, split)
            names = _semantic_names(args)
            policy = args.out_of_range or "error"
            ignore = 255
        return api.evaluate_semantic(pairs, pred, names, ignore, policy, split=split)
    if pred.is_dir():
        raise DataError(f"{pred}: instance predictions must be a COCO results json file")
    thrs = _parse_thrs(args.iou_thrs)
    classes = args.classes
    if bench is not None:
        spec, root = bench["spec"], bench["root"]
        gt = _instance_gt(root, split, spec, bench["class_names"])
        protocol = args.protocol or spec.instance_protocol
        voc_style = spec.instance_protocol != "coco"
        splits = dict(spec.class_splits)   # named class subsets of the benchmark ('A', 'B', 'voc', ...)
        if classes is not None and classes in splits:
            classes = list(splits[classes])
    else:
        gt = api.load_instance_gt(args.gt, split)
        voc_style = gt.layout == "voc"
        protocol = args.protocol or ("voc" if voc_style else "coco")
        if gt.layout == "coco":
            split = args.split
    return api.evaluate_instance(gt, pred, protocol=protocol, iou_thrs=thrs, classes=classes, split=split,
                                 abo=False if args.no_abo else None, voc_style=voc_style)


def _semantic_names(args) -> list[str]:
    """Class names for ``--gt``: the VOC-layout root's (meta.json or VOC), or ``--num-classes`` numbers."""
    from wsisbench.evaluation.ground_truth import default_class_names

    if args.num_classes:
        return [str(i) for i in range(args.num_classes)]
    return ["background", *default_class_names(args.gt)]


def eval_command(args) -> int:
    from wsisbench.evaluation.tables import format_evaluation
    from wsisbench.utils.atomic import atomic_write_json

    entry = run_eval(args)
    if args.json:
        json.dump(_strict_json(entry), sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        print(format_evaluation(entry))
    if args.out:
        name = args.name or entry.get("split") or "eval"
        flat = {f"{name}/{k}": v for k, v in entry["metrics"].items()}
        atomic_write_json(args.out, {"schema": "wsisbench.result/1", "evaluations": {name: entry}, "metrics": flat})
        if not args.json:
            print(f"\nwrote {args.out}")
    return 0
