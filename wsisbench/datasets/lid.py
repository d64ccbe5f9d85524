"""LID 2020 track 1 (ILSVRC DET images, 200 classes + background, 255 ambiguous) as an mmengine dataset.

Two layouts are recognised under ``data_root``:

Official archives unpacked side by side (paper presets)::

    LID_track1/train/<sub-folders>/<name>.JPEG          ILSVRC DET training images
    LID_track1/val/<name>.JPEG,  LID_track1/test/<name>.JPEG
    LID_track1_annotations/track1_val_annotations_raw/<name>.png   (or LID_track1_annotations/val/)
    train_labels.txt                                    (or LID_track1/train_labels.{txt,json})

Flat layout (the embedded benchmark's ``<root>/LID``; ``data_root`` may be ``<root>`` or ``<root>/LID``)::

    train/<id>.JPEG, train.txt          image-level labels
    val/<id>.JPEG, val.txt              ids
    val_annotations/<id>.png

Ground-truth PNGs hold indices (palette or 8-bit grey): 0 background, ``k`` = DET class ``k`` (1..200),
255 ambiguous. Label lists: text lines ``<path relative to the image folder, without extension>
<id> <id> ...`` with 1-based class ids (``#`` comments allowed), or JSON (``{"<path>": [ids]}`` or
``[["<path>", [ids]], ...]``). ``wsisbench data convert lid-labels`` writes the text form from the
ILSVRC DET XML annotations.

Each sample: ``img_path``, ``img_id`` (relative path without extension), ``height``, ``width``,
``image_labels`` (sorted 0-based foreground classes: id ``k`` -> ``k - 1``; read from the PNG when the
split has ground truth, else from the label list) and, with ground truth, ``seg_map_path``.
``metainfo['classes']``: the 200 DET classes; ``metainfo['semantic_classes']``: 201, background first.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from mmengine.dataset import BaseDataset
from PIL import Image
from tqdm import tqdm

from wsisbench.errors import DataError
from wsisbench.registry import DATASETS

from .class_names import LID_FOREGROUND_CLASSES
from .png import read_label_png
from .voc_instances import image_labels_from_class_map

_OFFICIAL = {
    "train": dict(img_path=["LID_track1/train"], seg_map_path=[],
                  ann_file=["train_labels.txt", "LID_track1/train_labels.txt", "train_labels.json",
                            "LID_track1/train_labels.json"]),
    "val": dict(img_path=["LID_track1/val"], ann_file=[],
                seg_map_path=["LID_track1_annotations/track1_val_annotations_raw", "LID_track1_annotations/val"]),
    "test": dict(img_path=["LID_track1/test"], seg_map_path=[], ann_file=[]),
}


def resolve_lid_layout(data_root: str | os.PathLike, split: str) -> dict[str, str]:
    """Where split ``split`` lives: ``dict(root, img_path, seg_map_path, ann_file)``, the last three
    relative to ``root`` ('' when the split has none). The first existing candidate wins; when none
    exists the first is named, so the error says what was expected."""
    root = Path(data_root)
    if not (root / "LID_track1").is_dir() and (root / "LID").is_dir():
        root = root / "LID"
    if (root / "LID_track1").is_dir():
        cands = _OFFICIAL.get(split, dict(img_path=[f"LID_track1/{split}"], seg_map_path=[], ann_file=[]))
        pick = {key: next((c for c in options if (root / c).exists()), options[0] if key == "img_path" else "")
                for key, options in cands.items()}
        if split == "train" and not pick["ann_file"]:
            pick["ann_file"] = cands["ann_file"][0]
    else:
        seg = f"{split}_annotations"
        pick = dict(img_path=split, seg_map_path=seg if (root / seg).is_dir() else "",
                    ann_file=f"{split}.txt" if (root / f"{split}.txt").is_file() else "")
    return dict(root=str(root), **pick)


def read_label_list(path: str | os.PathLike, num_classes: int) -> list[tuple[str, list[int]]]:
    """Parse an image-label list: ``[(relative_path_without_ext, sorted 0-based labels)]``."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DataError(f"{path}: image-label list is missing") from None
    raw: list[tuple[str, list, str]] = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as e:
            raise DataError(f"{path}: not valid JSON ({e})") from None
        items = data.items() if isinstance(data, dict) else data
        raw = [(str(name), list(ids), f"{path} ({name})") for name, ids in items]
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split("#", 1)[0].split()
            if parts:
                raw.append((parts[0], parts[1:], f"{path}:{lineno}"))
    entries = []
    for name, ids, where in raw:
        try:
            ids = sorted({int(i) for i in ids})
        except (TypeError, ValueError):
            raise DataError(f"{where}: class ids must be integers") from None
        bad = [i for i in ids if not 1 <= i <= num_classes]
        if bad:
            raise DataError(f"{where}: unknown class ids {bad} (valid 1..{num_classes})")
        entries.append((name, [i - 1 for i in ids]))
    return entries


@DATASETS.register_module()
class LIDSegDataset(BaseDataset):
    """LID 2020 track 1 images with image labels (train) or PNG ground truth (val).

    Args:
        data_root: the LID folder (official or flat layout, see the module docstring).
        split: ``'train'``, ``'val'`` or ``'test'``.
        ann_file: label / id list overriding the layout's (``''``: list the image folder).
        data_prefix: ``dict(img_path=..., seg_map_path=...)`` overriding the layout's folders.
        img_suffix / seg_map_suffix: file extensions (``.JPEG`` / ``.png``).
    """

    METAINFO = dict(classes=LID_FOREGROUND_CLASSES, semantic_classes=("background",) + LID_FOREGROUND_CLASSES,
                    ignore_index=255)

    def __init__(self, data_root: str = "", split: str = "val", ann_file: str | None = None,
                 data_prefix: dict | None = None, img_suffix: str = ".JPEG", seg_map_suffix: str = ".png",
                 show_progress: bool = True, **kwargs):
        layout = resolve_lid_layout(data_root, split)
        self.split = split
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.show_progress = show_progress
        prefix = dict(img_path=layout["img_path"], seg_map_path=layout["seg_map_path"])
        prefix.update(data_prefix or {})
        self.has_seg = bool(prefix.get("seg_map_path"))
        super().__init__(ann_file=layout["ann_file"] if ann_file is None else ann_file,
                         data_root=layout["root"], data_prefix=prefix, **kwargs)

    @classmethod
    def _load_metainfo(cls, metainfo=None) -> dict:
        meta = super()._load_metainfo(metainfo)
        meta["classes"] = tuple(meta["classes"])
        meta["semantic_classes"] = ("background",) + meta["classes"]
        return meta

    def _listing(self) -> list[tuple[str, list[int]]]:
        if self.ann_file:
            return read_label_list(self.ann_file, len(self.metainfo["classes"]))
        img_dir = Path(self.data_prefix["img_path"])
        if not img_dir.is_dir():
            raise DataError(f"{img_dir}: image folder of LID split {self.split!r} is missing")
        names = sorted(p.relative_to(img_dir).with_suffix("").as_posix()
                       for p in img_dir.rglob(f"*{self.img_suffix}"))
        return [(name, []) for name in names]

    def load_data_list(self) -> list[dict]:
        num_classes = len(self.metainfo["classes"])
        data_list = []
        bar = tqdm(self._listing(), desc=f"LID {self.split}", unit="img", leave=False,
                   disable=not self.show_progress or None)
        for rel, labels in bar:
            img_path = os.path.join(self.data_prefix["img_path"], rel + self.img_suffix)
            info = dict(img_path=img_path, img_id=rel)
            if self.has_seg:
                seg_path = os.path.join(self.data_prefix["seg_map_path"], rel + self.seg_map_suffix)
                seg = read_label_png(seg_path)
                info.update(seg_map_path=seg_path, height=int(seg.shape[0]), width=int(seg.shape[1]),
                            image_labels=image_labels_from_class_map(seg, num_classes, seg_path),
                            seg_fields=[], reduce_zero_label=False)  # read by mmseg's LoadAnnotations
            else:
                try:
                    with Image.open(img_path) as im:  # the header only
                        info["width"], info["height"] = im.size
                except FileNotFoundError:
                    raise DataError(f"{img_path}: image of LID split {self.split!r} is missing") from None
                except OSError as e:
                    raise DataError(f"{img_path}: cannot read image header ({e})") from None
                info["image_labels"] = labels
            data_list.append(info)
        if not data_list:
            raise DataError(f"LID split {self.split!r} under {self.data_root} has no images")
        return data_list

    def get_cat_ids(self, idx: int) -> list[int]:
        return list(self.get_data_info(idx)["image_labels"])
