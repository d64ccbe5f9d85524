"""Dataset converters: VOC <-> COCO, COCO class splits, LID image labels, per-class statistics.

Every output file is written atomically (``wsisbench.utils.atomic``).

``coco_to_voc`` painting rule (several COCO masks may cover one pixel, a VOC map holds one value):

1. crowd annotations of the kept classes are painted first, as 255 (void) in both maps;
2. the other kept annotations are painted in order of decreasing mask area (ties: increasing annotation
   id), so a later, smaller instance wins every pixel it shares with an earlier, larger one; the k-th
   painted annotation gets object id k (1..254) and class index ``1 + position in category_ids``;
3. annotations of other classes leave their pixels as they are (background unless covered).

Hence an instance comes back from ``coco_to_voc`` + ``voc_to_coco`` exactly (same pixels) iff no later
(smaller) kept instance overlaps it; in general it comes back as its mask minus the union of the masks
painted after it, and an instance covered completely disappears (its record says ``pixels: 0``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from wsisbench.errors import DataError
from wsisbench.utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text

from .class_names import ILSVRC_DET_WNIDS, VOC_CLASSES, VOC_COCO_CATEGORY_IDS, VOC_ORDER_COCO_IDS
from .png import encode_label_png, read_label_png
from .rle import decode_segmentation, encode_mask, json_rle, mask_bbox_xywh
from .voc import read_id_list, resolve_voc_root
from .voc_instances import VOID, load_voc_instances

MAX_OBJECTS = 254  # object ids 1..254; 255 is void


def _load_json(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: annotation file is missing") from None
    except ValueError as e:
        raise DataError(f"{path}: not valid JSON ({e})") from None


def voc_image_ids(voc_ids: Sequence[str]) -> list[int]:
    """Integer COCO image ids of a split's VOC ids: the ids' digits (``'2007_000063'`` -> ``2007000063``) when
    that gives every image its own positive id, else the positions 1..n (e.g. ``train_000000`` and
    ``val_000000`` of a generated ``trainval`` split share their digits)."""
    digits = [re.sub(r"\D", "", v) for v in voc_ids]
    if all(d and len(d) <= 18 for d in digits):
        ids = [int(d) for d in digits]
        if len(set(ids)) == len(ids) and min(ids, default=1) > 0:
            return ids
    return list(range(1, len(voc_ids) + 1))


# ------------------------------------------------------------------------------------- VOC -> COCO
def voc_to_coco(voc_root: str | os.PathLike, split: str, out_json: str | os.PathLike,
                classes: Iterable[str] | None = None, show_progress: bool = True) -> dict:
    """Convert ``SegmentationObject``/``SegmentationClass`` PNGs of a split to a COCO instances json.

    Masks are exact (RLE of the object pixels, void excluded); ``bbox`` covers the mask's pixels,
    ``area`` is its pixel count, ``iscrowd`` 0; categories are ``1..K`` in ``classes`` order (VOC's 20 by
    default). Image ids are the VOC ids' digits where they are unique (else 1..n, see :func:`voc_image_ids`);
    ``file_name`` is ``<id>.jpg``; ``voc_id`` keeps the id and each annotation's ``voc_object_id`` its value in
    the object PNG.
    Returns the json dict (also written to ``out_json``).
    """
    voc = resolve_voc_root(voc_root)
    classes = tuple(classes or VOC_CLASSES)
    ids = read_id_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt")
    images, annotations = [], []
    image_ids = voc_image_ids(ids)
    for voc_id, image_id in zip(tqdm(ids, desc=f"voc->coco {split}", leave=False, disable=not show_progress or None),
                                image_ids):
        obj_path = voc / "SegmentationObject" / f"{voc_id}.png"
        cls_path = voc / "SegmentationClass" / f"{voc_id}.png"
        masks, labels = load_voc_instances(obj_path, cls_path)
        if labels.size and labels.max() >= len(classes):
            raise DataError(f"{cls_path}: class id {int(labels.max()) + 1} beyond the {len(classes)} classes")
        height, width = read_label_png(cls_path).shape
        images.append(dict(id=image_id, file_name=f"{voc_id}.jpg", height=int(height), width=int(width),
                           voc_id=voc_id))
        obj_ids = [int(k) for k in np.unique(read_label_png(obj_path)) if 0 < k < VOID]  # as masks' order
        for obj_id, mask, label in zip(obj_ids, masks, labels):
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=int(label) + 1,
                                    segmentation=json_rle(encode_mask(mask)), area=float(mask.sum()),
                                    bbox=mask_bbox_xywh(mask), iscrowd=0, voc_object_id=obj_id))
    data = dict(info=dict(description=f"converted from VOC-layout {split} by wsisbench"), licenses=[],
                images=images, annotations=annotations,
                categories=[dict(id=i + 1, name=name, supercategory="object") for i, name in enumerate(classes)])
    atomic_write_json(out_json, data, indent=None)
    return data


# ------------------------------------------------------------------------------------- COCO -> VOC
def paint_order(anns: list[dict], masks: list[np.ndarray]) -> list[int]:
    """Indices of non-crowd ``anns`` in painting order: decreasing mask area, then increasing id."""
    keys = [(-int(m.sum()), a.get("id", i), i) for i, (a, m) in enumerate(zip(anns, masks)) if not a.get("iscrowd")]
    return [i for _, _, i in sorted(keys)]


def coco_to_voc(coco_json: str | os.PathLike, image_dir: str | os.PathLike, out_root: str | os.PathLike,
                category_ids: Iterable[int] | None = None, split: str = "val", images: str = "symlink",
                show_progress: bool = True) -> list[dict[str, Any]]:
    """Write a COCO split as VOC-layout palette PNGs for a subset of categories.

    Args:
        coco_json: COCO instances file.
        image_dir: folder of its images.
        out_root: output; ``VOC2012/`` is created inside it.
        category_ids: kept categories, in the class order of the PNGs (class ``i + 1``); default VOC's 20
            in VOC order when the file is COCO's, else every category of the file.
        split: name of the ``ImageSets/Segmentation/<split>.txt`` list written.
        images: ``'symlink'``, ``'copy'`` or ``'none'`` for ``JPEGImages/``.

    Returns one record per kept non-crowd annotation: ``image`` (VOC id), ``object`` (id in the PNG),
    ``ann_id``, ``category_id``, ``class_index``, ``pixels`` (left after painting). The records, the class
    list and the rule are also written to ``VOC2012/coco_to_voc_<split>.json``. See the module docstring
    for the painting rule.
    """
    data = _load_json(coco_json)
    cats = {c["id"]: c["name"] for c in data.get("categories", [])}
    if category_ids is None:
        category_ids = VOC_ORDER_COCO_IDS if set(VOC_ORDER_COCO_IDS) <= set(cats) and len(cats) == 80 \
            else sorted(cats)
    category_ids = [int(c) for c in category_ids]
    unknown = [c for c in category_ids if c not in cats]
    if unknown:
        raise DataError(f"{coco_json}: category ids {unknown} are not in the file")
    class_index = {c: i + 1 for i, c in enumerate(category_ids)}
    voc = Path(out_root) / "VOC2012"
    image_dir = Path(image_dir)
    anns_by_image: dict[Any, list[dict]] = defaultdict(list)
    for ann in data.get("annotations", []):
        if ann["category_id"] in class_index:
            anns_by_image[ann["image_id"]].append(ann)
    records, names = [], []
    for img in tqdm(data.get("images", []), desc=f"coco->voc {split}", leave=False,
                    disable=not show_progress or None):
        h, w = int(img["height"]), int(img["width"])
        voc_id = Path(img["file_name"]).stem
        names.append(voc_id)
        anns = anns_by_image.get(img["id"], [])
        masks = [decode_segmentation(a["segmentation"], h, w) for a in anns]
        cls_map = np.zeros((h, w), dtype=np.uint8)
        obj_map = np.zeros((h, w), dtype=np.uint8)
        for a, m in zip(anns, masks):
            if a.get("iscrowd"):
                cls_map[m] = VOID
                obj_map[m] = VOID
        order = paint_order(anns, masks)
        if len(order) > MAX_OBJECTS:
            raise DataError(f"{coco_json} (image {img['id']}): {len(order)} instances do not fit in a "
                            f"VOC object map (at most {MAX_OBJECTS})")
        for obj_id, i in enumerate(order, start=1):
            cls_map[masks[i]] = class_index[anns[i]["category_id"]]
            obj_map[masks[i]] = obj_id
        for obj_id, i in enumerate(order, start=1):
            records.append(dict(image=voc_id, object=obj_id, ann_id=anns[i].get("id"),
                                category_id=anns[i]["category_id"], class_index=class_index[anns[i]["category_id"]],
                                pixels=int((obj_map == obj_id).sum())))
        atomic_write_bytes(voc / "SegmentationClass" / f"{voc_id}.png", encode_label_png(cls_map))
        atomic_write_bytes(voc / "SegmentationObject" / f"{voc_id}.png", encode_label_png(obj_map))
        _place_image(image_dir / img["file_name"], voc / "JPEGImages" / f"{voc_id}.jpg", images)
    atomic_write_text(voc / "ImageSets" / "Segmentation" / f"{split}.txt", "".join(f"{n}\n" for n in names))
    atomic_write_json(voc / f"coco_to_voc_{split}.json", dict(
        source=str(coco_json), classes=[cats[c] for c in category_ids], category_ids=category_ids,
        rule="crowd -> 255 first; non-crowd painted by decreasing area (ties: ann id), later wins",
        objects=records))
    return records


def _place_image(src: Path, dst: Path, mode: str) -> None:
    if mode == "none":
        return
    if not src.is_file():
        raise DataError(f"{src}: image is missing")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    if mode == "symlink":
        tmp.symlink_to(src.resolve())
    elif mode == "copy":
        shutil.copyfile(src, tmp)
    else:
        raise ValueError(f"images must be 'symlink', 'copy' or 'none', not {mode!r}")
    os.replace(tmp, dst)


# ------------------------------------------------------------------------------ COCO class split
def coco_class_split(coco_json: str | os.PathLike, out_dir: str | os.PathLike,
                     subset_ids: Iterable[int] = VOC_COCO_CATEGORY_IDS,
                     names: tuple[str, str] = ("voc", "nonvoc")) -> tuple[Path, Path]:
    """Split a COCO file into two by category, as Mask^X R-CNN's voc / non-voc files.

    Both outputs keep ``info``, ``licenses``, ALL images and the full ``categories`` list; the first keeps
    the annotations whose category is in ``subset_ids``, the second all the others. Written as
    ``<out_dir>/<stem>_<names[0]>.json`` and ``<stem>_<names[1]>.json``; returns the two paths.
    """
    data = _load_json(coco_json)
    subset = {int(i) for i in subset_ids}
    known = {c["id"] for c in data.get("categories", [])}
    if not subset <= known:
        raise DataError(f"{coco_json}: category ids {sorted(subset - known)} are not in the file")
    stem = Path(coco_json).stem
    paths = []
    for name, keep in zip(names, (lambda c: c in subset, lambda c: c not in subset)):
        part = {k: v for k, v in data.items() if k != "annotations"}
        part["annotations"] = [a for a in data.get("annotations", []) if keep(a["category_id"])]
        path = Path(out_dir) / f"{stem}_{name}.json"
        atomic_write_json(path, part, indent=None)
        paths.append(path)
    return paths[0], paths[1]


# ------------------------------------------------------------------------------------ LID labels
def lid_labels_from_ilsvrc_xml(annotation_dir: str | os.PathLike, out_txt: str | os.PathLike,
                               show_progress: bool = True) -> int:
    """Write LID's ``train_labels.txt`` from ILSVRC DET XML annotations.

    Each ``<annotation_dir>/<rel>.xml`` gives the line ``<rel> <det_id> ...`` (its objects' WordNet ids
    mapped to 1-based DET ids, sorted, unique); images without objects get a line with no ids.
    Returns the number of images written.
    """
    annotation_dir = Path(annotation_dir)
    if not annotation_dir.is_dir():
        raise DataError(f"{annotation_dir}: ILSVRC annotation folder is missing")
    det_id = {wnid: i + 1 for i, wnid in enumerate(ILSVRC_DET_WNIDS)}
    lines = []
    for xml in tqdm(sorted(annotation_dir.rglob("*.xml")), desc="lid labels", leave=False,
                    disable=not show_progress or None):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError as e:
            raise DataError(f"{xml}: cannot parse XML ({e})") from None
        ids = set()
        for obj in root.iter("object"):
            wnid = (obj.findtext("name") or "").strip()
            if wnid not in det_id:
                raise DataError(f"{xml}: object {wnid!r} is not one of the 200 ILSVRC DET synsets")
            ids.add(det_id[wnid])
        rel = xml.relative_to(annotation_dir).with_suffix("").as_posix()
        lines.append(" ".join([rel] + [str(i) for i in sorted(ids)]))
    if not lines:
        raise DataError(f"{annotation_dir}: no XML annotations found")
    atomic_write_text(out_txt, "\n".join(lines) + "\n")
    return len(lines)


# ------------------------------------------------------------------------------ class statistics
STAT_COLUMNS = ["class_id", "class", "images", "instances", "crowd", "pixels"]


def coco_class_statistics(coco_json: str | os.PathLike, show_progress: bool = True) -> pd.DataFrame:
    """Per category: ``images`` containing it, ``instances`` (non-crowd), ``crowd`` annotations and
    ``pixels`` (exact mask pixel count of all its annotations, overlaps counted per annotation)."""
    data = _load_json(coco_json)
    imgs = {im["id"]: im for im in data.get("images", [])}
    stats = {c["id"]: dict(class_id=c["id"], **{"class": c["name"]}, images=set(), instances=0, crowd=0, pixels=0)
             for c in data.get("categories", [])}
    for ann in tqdm(data.get("annotations", []), desc="coco stats", leave=False, disable=not show_progress or None):
        row = stats.get(ann["category_id"])
        im = imgs.get(ann["image_id"])
        if row is None or im is None:
            raise DataError(f"{coco_json} (annotation {ann.get('id')}): unknown category or image id")
        row["images"].add(ann["image_id"])
        row["crowd" if ann.get("iscrowd") else "instances"] += 1
        row["pixels"] += int(decode_segmentation(ann["segmentation"], im["height"], im["width"]).sum()) \
            if ann.get("segmentation") else 0
    rows = [dict(r, images=len(r["images"])) for r in stats.values()]
    return pd.DataFrame(rows, columns=STAT_COLUMNS)


def voc_class_statistics(voc_root: str | os.PathLike, split: str, classes: Iterable[str] | None = None,
                         show_progress: bool = True) -> pd.DataFrame:
    """Per class of a VOC-layout split: ``images``, ``instances`` and ``pixels`` (class-map pixel count);
    a last row ``void`` counts 255 pixels. ``crowd`` is always 0 (VOC has none)."""
    voc = resolve_voc_root(voc_root)
    classes = tuple(classes or VOC_CLASSES)
    k = len(classes)
    images = np.zeros(k, dtype=np.int64)
    instances = np.zeros(k, dtype=np.int64)
    pixels = np.zeros(256, dtype=np.int64)
    for voc_id in tqdm(read_id_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt"), desc="voc stats",
                       leave=False, disable=not show_progress or None):
        cls_path = voc / "SegmentationClass" / f"{voc_id}.png"
        _, labels = load_voc_instances(voc / "SegmentationObject" / f"{voc_id}.png", cls_path)
        cls_map = read_label_png(cls_path)
        counts = np.bincount(cls_map.ravel(), minlength=256)
        if counts[k + 1:VOID].any():
            raise DataError(f"{cls_path}: class ids beyond the {k} classes")
        pixels += counts
        images[np.flatnonzero(counts[1:k + 1])] += 1
        np.add.at(instances, labels, 1)
    rows = [dict(class_id=i + 1, **{"class": classes[i]}, images=int(images[i]), instances=int(instances[i]),
                 crowd=0, pixels=int(pixels[i + 1])) for i in range(k)]
    rows.append(dict(class_id=VOID, **{"class": "void"}, images=0, instances=0, crowd=0, pixels=int(pixels[VOID])))
    return pd.DataFrame(rows, columns=STAT_COLUMNS)


def save_table_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``table`` as CSV atomically."""
    return atomic_write_text(path, table.to_csv(index=False))


__all__ = ["voc_to_coco", "coco_to_voc", "paint_order", "coco_class_split", "lid_labels_from_ilsvrc_xml",
           "coco_class_statistics", "voc_class_statistics", "save_table_csv", "voc_image_ids"]
