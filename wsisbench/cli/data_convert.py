"""``wsisbench data convert ACTION``: VOC <-> COCO, COCO class splits, LID labels, per-class statistics."""
from __future__ import annotations

import json
from pathlib import Path

from wsisbench.errors import WsisbenchError


def register(subparsers) -> None:
    parser = subparsers.add_parser("convert",
                                   help="convert datasets (voc2coco, coco2voc, coco-split, lid-labels, stats)",
                                   description="Convert between the VOC and COCO layouts, split COCO by class, "
                                               "build LID image labels, and print per-class statistics.")
    sub = parser.add_subparsers(dest="convert_action", metavar="ACTION")

    p = sub.add_parser("voc2coco", help="VOC SegmentationObject/Class PNGs -> COCO instances json (exact RLE)")
    p.add_argument("--voc-root", required=True, help="VOCdevkit/VOC2012 or a folder containing VOC2012/")
    p.add_argument("--split", required=True, help="ImageSets/Segmentation/<split>.txt")
    p.add_argument("--out", required=True, help="output json")
    p.add_argument("--classes", help="comma-separated foreground classes (default VOC's 20) or a meta.json")
    p.set_defaults(func=_voc2coco)

    p = sub.add_parser("coco2voc", help="COCO json -> VOC-layout palette PNGs for a class subset")
    p.add_argument("--ann", required=True, help="COCO instances json")
    p.add_argument("--images", required=True, help="folder of the json's images")
    p.add_argument("--out", required=True, help="output folder (VOC2012/ is created inside)")
    p.add_argument("--categories", default=None,
                   help="'voc' (VOC order), 'nonvoc', 'all', or comma-separated category ids in class order")
    p.add_argument("--split", default="val", help="name of the split list written (default val)")
    p.add_argument("--image-mode", choices=["symlink", "copy", "none"], default="symlink")
    p.set_defaults(func=_coco2voc)

    p = sub.add_parser("coco-split", help="COCO json -> <stem>_voc.json + <stem>_nonvoc.json (Mask^X R-CNN split)")
    p.add_argument("--ann", required=True, help="COCO instances json")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--subset", default="voc", help="'voc' or comma-separated category ids of the first file")
    p.set_defaults(func=_coco_split)

    p = sub.add_parser("lid-labels", help="ILSVRC DET XML annotations -> LID train_labels.txt")
    p.add_argument("--xml-dir", required=True, help="ILSVRC/Annotations/DET/train (or any folder of DET XMLs)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_lid_labels)

    p = sub.add_parser("stats", help="per-class image / instance / pixel counts")
    p.add_argument("--layout", choices=["coco", "voc"], required=True)
    p.add_argument("--ann", help="COCO instances json (layout coco)")
    p.add_argument("--voc-root", help="VOC folder (layout voc)")
    p.add_argument("--split", help="split (layout voc)")
    p.add_argument("--classes", help="comma-separated classes or a meta.json (layout voc)")
    p.add_argument("--csv", help="also save the table as CSV")
    p.set_defaults(func=_stats)

    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _classes(spec: str | None):
    if not spec:
        return None
    if spec.endswith(".json"):
        from wsisbench.datasets.checks import read_meta_classes

        classes = read_meta_classes(Path(spec).parent) if Path(spec).name == "meta.json" else None
        if classes is None:
            raise WsisbenchError(f"{spec}: no 'classes' list found")
        return classes
    return tuple(c.strip() for c in spec.split(",") if c.strip())


def _voc2coco(args) -> int:
    from wsisbench.datasets.converters import voc_to_coco

    data = voc_to_coco(args.voc_root, args.split, args.out, _classes(args.classes))
    print(f"wrote {args.out}: {len(data['images'])} images, {len(data['annotations'])} instances, "
          f"{len(data['categories'])} categories")
    return 0


def _category_ids(spec: str | None, ann: str):
    from wsisbench.datasets.class_names import NONVOC_COCO_CATEGORY_IDS, VOC_ORDER_COCO_IDS

    if spec is None:
        return None
    if spec == "voc":
        return list(VOC_ORDER_COCO_IDS)
    if spec == "nonvoc":
        return list(NONVOC_COCO_CATEGORY_IDS)
    if spec == "all":
        return sorted(c["id"] for c in json.loads(Path(ann).read_text())["categories"])
    try:
        return [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise WsisbenchError(f"--categories must be voc, nonvoc, all or comma-separated ids, not {spec!r}") from None


def _coco2voc(args) -> int:
    from wsisbench.datasets.converters import coco_to_voc

    records = coco_to_voc(args.ann, args.images, args.out, _category_ids(args.categories, args.ann),
                          split=args.split, images=args.image_mode)
    vanished = sum(r["pixels"] == 0 for r in records)
    print(f"wrote {Path(args.out) / 'VOC2012'}: {len(records)} instances ({vanished} fully covered by smaller ones)")
    return 0


def _coco_split(args) -> int:
    from wsisbench.datasets.class_names import VOC_COCO_CATEGORY_IDS
    from wsisbench.datasets.converters import coco_class_split

    subset = VOC_COCO_CATEGORY_IDS if args.subset == "voc" else [int(x) for x in args.subset.split(",")]
    a, b = coco_class_split(args.ann, args.out_dir, subset)
    for path in (a, b):
        n = len(json.loads(path.read_text())["annotations"])
        print(f"wrote {path}: {n} annotations")
    return 0


def _lid_labels(args) -> int:
    from wsisbench.datasets.converters import lid_labels_from_ilsvrc_xml

    n = lid_labels_from_ilsvrc_xml(args.xml_dir, args.out)
    print(f"wrote {args.out}: {n} images")
    return 0


def _stats(args) -> int:
    import pandas as pd

    from wsisbench.datasets.converters import coco_class_statistics, save_table_csv, voc_class_statistics

    if args.layout == "coco":
        if not args.ann:
            raise WsisbenchError("stats --layout coco needs --ann")
        table = coco_class_statistics(args.ann)
    else:
        if not (args.voc_root and args.split):
            raise WsisbenchError("stats --layout voc needs --voc-root and --split")
        table = voc_class_statistics(args.voc_root, args.split, _classes(args.classes))
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.to_string(index=False))
    if args.csv:
        save_table_csv(table, args.csv)
        print(f"wrote {args.csv}")
    return 0
