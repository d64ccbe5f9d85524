"""Validate a dataset before a long run: every problem found, each naming its file.

``check_dataset(layout_or_benchmark, data_root, splits=None)`` walks one or more layouts:

- ``'voc'``: ``ImageSets/Segmentation/<split>.txt`` lists; per image the JPEG, ``SegmentationClass`` and
  ``SegmentationObject`` PNGs (present, index PNGs, same size as the image, known class ids, every object
  over a class);
- ``'coco'``: ``annotations/instances_<split>.json`` (parses, ids consistent, known categories, RLE sizes)
  and its images (present, decodable, the size the json says);
- ``'lid'``: the image-label list of ``train`` and the images / PNG ground truth of ``val``.

Images are decoded fully with PIL (``Image.open(p).load()`` with ``LOAD_TRUNCATED_IMAGES`` off), so
truncated files are caught. The result is a :class:`CheckReport`; the run pipeline calls
:meth:`CheckReport.raise_if_failed` before training.
"""
from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
from PIL import Image, ImageFile
from tqdm import tqdm

from wsisbench.errors import DataError, UnknownNameError

from .class_names import LID_FOREGROUND_CLASSES, VOC_CLASSES
from .lid import read_label_list, resolve_lid_layout
from .png import read_label_png
from .voc import read_id_list, resolve_voc_root
from .voc_instances import image_labels_from_class_map, instances_from_maps, read_label_map

LAYOUTS = ("voc", "coco", "lid")

Problem = tuple[str, str]


@dataclass
class CheckReport:
    """Outcome of :func:`check_dataset`.

    ``problems``: ``(file, problem)`` pairs; ``summary``: one row per (layout, split) with counts.
    """

    data_root: str
    layouts: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format_problems(self, limit: int | None = 20) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{path}: {problem}" for path, problem in shown]
        if limit is not None and len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more")
        return "\n".join(lines)

    def raise_if_failed(self, limit: int = 10) -> None:
        """Raise :class:`DataError` listing the first ``limit`` problems (nothing when ok)."""
        if not self.ok:
            raise DataError(f"dataset check of {self.data_root} ({', '.join(self.layouts)}) found "
                            f"{len(self.problems)} problem(s):\n{self.format_problems(limit)}")


@contextlib.contextmanager
def _strict_pil() -> Iterator[None]:
    old = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = old


def check_image(path: str | os.PathLike, decode: bool = True) -> tuple[tuple[int, int] | None, str | None]:
    """``((height, width), None)`` for a readable image, ``(None, problem)`` otherwise."""
    path = Path(path)
    if not path.is_file():
        return None, "image is missing"
    try:
        with Image.open(path) as im:
            size = im.size
            if decode:
                im.load()
    except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, DecompressionBombError ...
        return None, f"image cannot be decoded ({type(e).__name__}: {e})"
    return (size[1], size[0]), None


def _problem(path: str | os.PathLike, error: Exception) -> Problem:
    """``(file, message)`` from a :class:`DataError` whose message starts with the file name."""
    return str(path), str(error).removeprefix(f"{path}: ")


def _problem_from_error(error: Exception, default_path: str | os.PathLike) -> Problem:
    """``(file, message)`` from an error message ``'<file>: <message>'``; else ``default_path``."""
    head, sep, tail = str(error).partition(": ")
    if sep and (os.sep in head or Path(head).suffix):
        return head, tail
    return str(default_path), str(error)


def _progress(items, desc: str, show: bool):
    return tqdm(items, desc=desc, unit="img", leave=False, disable=not show or None)


def _sample(items: list, max_images: int | None) -> list:
    """Evenly spaced subset of at most ``max_images`` items (all when None)."""
    if max_images is None or len(items) <= max_images:
        return items
    idx = np.linspace(0, len(items) - 1, max_images).round().astype(int)
    return [items[i] for i in sorted(set(idx.tolist()))]


def read_meta_classes(root: str | os.PathLike) -> tuple[str, ...] | None:
    """Foreground classes from an embedded benchmark's ``meta.json`` (``None`` when absent)."""
    meta = Path(root) / "meta.json"
    if not meta.is_file():
        return None
    classes = json.loads(meta.read_text()).get("classes")
    if not classes:
        return None
    names = [c["name"] if isinstance(c, dict) else str(c) for c in classes]
    if names and names[0].lower() == "background":
        names = names[1:]
    return tuple(names)


# ---------------------------------------------------------------------------------------------- VOC
def _voc_split_items(voc: Path, split: str) -> list[tuple[str, Path, Path, Path]]:
    """``(img_id, image, class map, object map)`` of a split; ``train_aug`` mixes VOC PNGs and SBD files."""
    if split == "train_aug":
        from .voc import VOCSegDataset

        ds = VOCSegDataset(data_root=str(voc), split="train_aug", lazy_init=True, show_progress=False)
        return [(i, *map(Path, ds._paths(i, source))) for i, source in ds._sample_sources()]
    ids = read_id_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt")
    return [(i, voc / "JPEGImages" / f"{i}.jpg", voc / "SegmentationClass" / f"{i}.png",
             voc / "SegmentationObject" / f"{i}.png") for i in ids]


def _check_voc(root: Path, splits, classes, decode, max_images, show) -> tuple[list[Problem], list[dict]]:
    voc = resolve_voc_root(root)
    num_classes = len(classes or read_meta_classes(root) or VOC_CLASSES)
    sets = voc / "ImageSets" / "Segmentation"
    problems: list[Problem] = []
    rows: list[dict] = []
    if splits is None:  # train_aug (SBD) only when asked for: its list names images without VOC PNGs
        splits = sorted(p.stem for p in sets.glob("*.txt") if p.stem != "train_aug") if sets.is_dir() else []
        if not splits:
            problems.append((str(sets), "no split lists (ImageSets/Segmentation/*.txt)"))
    checked: dict[str, dict] = {}
    for split in splits:
        row = dict(layout="voc", split=split, images=0, checked=0, instances=0, classes=0)
        try:
            items = _voc_split_items(voc, split)
        except DataError as e:
            problems.append(_problem_from_error(e, sets / f"{split}.txt"))
            rows.append(dict(row, problems=1))
            continue
        n_split_problems = 0
        if not items:
            problems.append((str(sets / f"{split}.txt"), f"split {split!r} is empty"))
            n_split_problems += 1
        instances, seen = 0, set()
        todo = _sample(items, max_images)
        for img_id, img_path, cls_path, obj_path in _progress(todo, f"check voc {split}", show):
            if img_id not in checked:  # an image listed by several splits is checked and reported once
                checked[img_id] = _check_voc_image(img_path, cls_path, obj_path, num_classes, decode)
                problems.extend(checked[img_id]["problems"])
            res = checked[img_id]
            n_split_problems += len(res["problems"])
            instances += res["instances"]
            seen.update(res["labels"])
        rows.append(dict(row, images=len(items), checked=len(todo), instances=instances, classes=len(seen),
                         problems=n_split_problems))
    return problems, rows


def _check_voc_image(img_path: Path, cls_path: Path, obj_path: Path, num_classes: int, decode: bool) -> dict:
    """Problems, instance count and labels of one image (label maps as VOC PNGs or SBD ``.mat`` files)."""
    out = dict(problems=[], instances=0, labels=set())
    size, problem = check_image(img_path, decode)
    if problem:
        out["problems"].append((str(img_path), problem))
    maps = {}
    for key, path in (("cls", cls_path), ("obj", obj_path)):
        try:
            maps[key] = read_label_map(path)
        except DataError as e:
            out["problems"].append(_problem(path, e))
            continue
        if size is not None and maps[key].shape != size:
            out["problems"].append((str(path), f"label map is {maps[key].shape[1]}x{maps[key].shape[0]} "
                                               f"but the image is {size[1]}x{size[0]} (WxH)"))
    cls, obj = maps.get("cls"), maps.get("obj")
    if cls is not None:
        try:
            out["labels"] = set(image_labels_from_class_map(cls, num_classes, str(cls_path)))
        except DataError as e:
            out["problems"].append(_problem(cls_path, e))
    if cls is not None and obj is not None and cls.shape == obj.shape:
        try:
            masks, _ = instances_from_maps(obj, cls, str(obj_path))
            out["instances"] = len(masks)
        except DataError as e:
            out["problems"].append(_problem(obj_path, e))
    return out


# --------------------------------------------------------------------------------------------- COCO
def _coco_image_dir(root: Path, split: str, images: list[dict]) -> Path | None:
    candidates = [root / split, root / "images" / split, root / "VOC2012" / "JPEGImages", root]
    for cand in candidates:
        if images and (cand / images[0]["file_name"]).is_file():
            return cand
    return next((c for c in candidates[:2] if c.is_dir()), None)


def _check_coco(root: Path, splits, classes, decode, max_images, show) -> tuple[list[Problem], list[dict]]:
    ann_dir = root / "annotations"
    problems: list[Problem] = []
    rows: list[dict] = []
    if splits is None:
        splits = sorted(p.stem.removeprefix("instances_") for p in ann_dir.glob("instances_*.json"))
        if not splits:
            problems.append((str(ann_dir), "no COCO annotation files (annotations/instances_<split>.json)"))
    for split in splits:
        ann_file = ann_dir / f"instances_{split}.json"
        n_before = len(problems)
        row = dict(layout="coco", split=split, images=0, checked=0, instances=0, classes=0)
        if not ann_file.is_file():
            problems.append((str(ann_file), f"annotation file of split {split!r} is missing"))
            rows.append(dict(row, problems=1))
            continue
        try:
            data = json.loads(ann_file.read_text())
            images, anns, cats = data["images"], data["annotations"], data["categories"]
        except (ValueError, KeyError, TypeError) as e:
            problems.append((str(ann_file), f"not a COCO instances file ({type(e).__name__}: {e})"))
            rows.append(dict(row, problems=1))
            continue
        if not images:
            problems.append((str(ann_file), f"split {split!r} has no images"))
        img_by_id = {im["id"]: im for im in images}
        cat_ids = {c["id"] for c in cats}
        for ann in anns:
            where = f"{ann_file} (annotation {ann.get('id')})"
            if ann.get("image_id") not in img_by_id:
                problems.append((where, f"unknown image id {ann.get('image_id')}"))
                continue
            if ann.get("category_id") not in cat_ids:
                problems.append((where, f"unknown category id {ann.get('category_id')}"))
            im = img_by_id[ann["image_id"]]
            segm = ann.get("segmentation")
            if isinstance(segm, dict) and list(segm.get("size", [])) != [im["height"], im["width"]]:
                problems.append((where, f"RLE size {segm.get('size')} differs from the image's "
                                        f"[{im['height']}, {im['width']}]"))
        img_dir = _coco_image_dir(root, split, images)
        todo = _sample(images, max_images)
        if img_dir is None and images:
            problems.append((str(root / split), f"image folder of split {split!r} is missing"))
            todo = []
        for im in _progress(todo, f"check coco {split}", show):
            path = img_dir / im["file_name"]
            size, problem = check_image(path, decode)
            if problem:
                problems.append((str(path), problem))
            elif size != (im["height"], im["width"]):
                problems.append((str(path), f"image is {size[1]}x{size[0]} but {ann_file.name} says "
                                            f"{im['width']}x{im['height']} (WxH)"))
        used = {a.get("category_id") for a in anns} & cat_ids
        rows.append(dict(row, images=len(images), checked=len(todo), instances=len(anns), classes=len(used),
                         problems=len(problems) - n_before))
    return problems, rows


# ---------------------------------------------------------------------------------------------- LID
def _check_lid(root: Path, splits, classes, decode, max_images, show) -> tuple[list[Problem], list[dict]]:
    num_classes = len(classes or read_meta_classes(root) or LID_FOREGROUND_CLASSES)
    problems: list[Problem] = []
    rows: list[dict] = []
    if splits is None:
        splits = [s for s in ("train", "val") if (Path(resolve_lid_layout(root, s)["root"]) /
                                                  resolve_lid_layout(root, s)["img_path"]).is_dir()]
        if not splits:
            problems.append((str(root), "no LID splits (LID_track1/{train,val}/ or LID/{train,val}/)"))
    for split in splits:
        layout = resolve_lid_layout(root, split)
        base = Path(layout["root"])
        img_dir, n_before = base / layout["img_path"], len(problems)
        row = dict(layout="lid", split=split, images=0, checked=0, instances=0, classes=0)
        seen: set[int] = set()
        if layout["ann_file"]:
            try:
                entries = read_label_list(base / layout["ann_file"], num_classes)
            except DataError as e:
                problems.append(_problem(base / layout["ann_file"], e))
                rows.append(dict(row, problems=1))
                continue
            names = [rel for rel, _ in entries]
            if not layout["seg_map_path"]:
                for _, labels in entries:
                    seen.update(labels)
        elif img_dir.is_dir():
            names = sorted(p.relative_to(img_dir).with_suffix("").as_posix() for p in img_dir.rglob("*.JPEG"))
        else:
            problems.append((str(img_dir), f"image folder of split {split!r} is missing"))
            rows.append(dict(row, problems=1))
            continue
        if not names:
            problems.append((str(base / (layout["ann_file"] or layout["img_path"])), f"split {split!r} is empty"))
        todo = _sample(names, max_images)
        for rel in _progress(todo, f"check lid {split}", show):
            path = img_dir / f"{rel}.JPEG"
            size, problem = check_image(path, decode)
            if problem:
                problems.append((str(path), problem))
            if layout["seg_map_path"]:
                seg_path = base / layout["seg_map_path"] / f"{rel}.png"
                try:
                    seg = read_label_png(seg_path)
                    seen.update(image_labels_from_class_map(seg, num_classes, str(seg_path)))
                except DataError as e:
                    problems.append(_problem(seg_path, e))
                    continue
                if size is not None and seg.shape != size:
                    problems.append((str(seg_path), f"label map is {seg.shape[1]}x{seg.shape[0]} but the image "
                                                    f"is {size[1]}x{size[0]} (WxH)"))
        rows.append(dict(row, images=len(names), checked=len(todo), classes=len(seen),
                         problems=len(problems) - n_before))
    return problems, rows


_CHECKERS = {"voc": _check_voc, "coco": _check_coco, "lid": _check_lid}


def resolve_layouts(name: str) -> tuple[str, ...]:
    """Layouts of a layout name ('voc', 'coco', 'lid') or of a benchmark (its ``BenchmarkSpec.layouts``)."""
    if name in LAYOUTS:
        return (name,)
    from wsisbench.benchmarks import get_benchmark, list_benchmarks

    try:
        return tuple(get_benchmark(name).layouts)
    except UnknownNameError:
        raise UnknownNameError("benchmark or layout", name,
                               list(LAYOUTS) + [b.name for b in list_benchmarks()]) from None


def check_dataset(benchmark_name_or_layout: str | Iterable[str], data_root: str | os.PathLike,
                  splits: Iterable[str] | None = None, *, classes: Iterable[str] | None = None,
                  decode_images: bool = True, max_images: int | None = None,
                  show_progress: bool = True) -> CheckReport:
    """Check the dataset under ``data_root``.

    Args:
        benchmark_name_or_layout: ``'voc'``, ``'coco'``, ``'lid'``, a list of them, or a benchmark name.
        data_root: the dataset folder (VOC: ``VOCdevkit/VOC2012`` or its parent; COCO: the folder with
            ``annotations/``; LID: see :mod:`wsisbench.datasets.lid`).
        splits: split names to check; by default every split the layout finds.
        classes: foreground classes (VOC: default ``meta.json``'s or VOC's 20; LID: the 200 DET classes).
        decode_images: decode every image fully (False: header only, much faster).
        max_images: check at most this many evenly spaced images per split (None: all).
    """
    if isinstance(benchmark_name_or_layout, str):
        layouts = resolve_layouts(benchmark_name_or_layout)
    else:
        layouts = tuple(x for name in benchmark_name_or_layout for x in resolve_layouts(name))
    root = Path(data_root)
    report = CheckReport(data_root=str(root), layouts=layouts)
    if not root.is_dir():
        report.problems.append((str(root), "data root does not exist"))
        report.summary = pd.DataFrame([dict(layout=layout, split="", images=0, checked=0, instances=0, classes=0,
                                            problems=1) for layout in layouts])
        return report
    split_list = None if splits is None else list(splits)
    class_tuple = None if classes is None else tuple(classes)
    rows: list[dict] = []
    with _strict_pil():
        for layout in layouts:
            problems, layout_rows = _CHECKERS[layout](root, split_list, class_tuple, decode_images, max_images,
                                                      show_progress)
            report.problems.extend(problems)
            rows.extend(layout_rows)
    report.summary = pd.DataFrame(rows, columns=["layout", "split", "images", "checked", "instances", "classes",
                                                 "problems"])
    return report
