"""Instance ground truth for the evaluator, read from a COCO json or from VOC-layout PNGs.

Both sources become one :class:`InstanceGroundTruth`: images (int ids, names, sizes), categories, and
per-annotation arrays with compressed RLE masks, so every protocol (``voc``, ``voc07``, ``coco``,
``coco_segm``) reads the same object.

- COCO json: image ids must be unique, every annotation must name a known image and category; polygons and
  uncompressed RLE are converted to compressed RLE; ``area`` is the json's (as pycocotools uses it) or the
  mask area where missing; ``iscrowd`` defaults to 0.
- VOC layout (``SegmentationObject`` + ``SegmentationClass`` palette PNGs, evaluation-protocols.md section
  1): instance ``k`` is ``obj == k`` (0 and 255 mean none, void belongs to no mask), its class the class-map
  value under it (:func:`wsisbench.datasets.voc_instances.instances_from_maps`); category ``c`` (1..K) is
  class-map value ``c``; image ids are 1..N in split order, names are the VOC ids. No crowd regions.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from wsisbench.errors import DataError

from .masks import RleDecodeError, encode_masks, json_rle, rle_areas, to_compressed_rle


@dataclass
class GtImage:
    """One image: ``id`` (int, what the protocols use), ``name`` (VOC id or file stem), size in pixels."""

    id: int
    name: str
    height: int
    width: int
    file_name: str | None = None


@dataclass
class InstanceGroundTruth:
    """Instance masks of a dataset split.

    Attributes:
        images: the images, in dataset order (an image without annotations still counts).
        categories: ``[{"id": int, "name": str}]``.
        image_ids, category_ids: int64 [M] per annotation.
        rles: M compressed RLEs (``counts`` bytes, ``size`` [H, W] of their image).
        areas: float64 [M], the area used for COCO area ranges (json ``area``, else mask area).
        iscrowd: bool [M].
        source: the file or folder read (for messages).
        layout: ``"coco"`` or ``"voc"``.
    """

    images: list[GtImage]
    categories: list[dict[str, Any]]
    image_ids: np.ndarray
    category_ids: np.ndarray
    rles: list[dict[str, Any]]
    areas: np.ndarray
    iscrowd: np.ndarray
    source: str = ""
    layout: str = "coco"
    _by_id: dict[int, GtImage] = field(default_factory=dict, repr=False)
    _by_name: dict[str, int] = field(default_factory=dict, repr=False)
    _by_int_name: dict[int, int] = field(default_factory=dict, repr=False)
    _aliases: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._by_id = {}
        for img in self.images:
            if img.id in self._by_id:
                raise DataError(f"{self.source}: duplicate image id {img.id} in the ground truth")
            self._by_id[img.id] = img
        self._by_name = {}
        self._by_int_name = {}
        ambiguous = set()
        for img in self.images:
            self._by_name.setdefault(img.name, img.id)
            try:
                key = int(img.name)
            except ValueError:
                continue
            if key in self._by_int_name:
                ambiguous.add(key)
            self._by_int_name[key] = img.id
        for key in ambiguous:
            del self._by_int_name[key]
        cat_ids = [c["id"] for c in self.categories]
        if len(set(cat_ids)) != len(cat_ids):
            raise DataError(f"{self.source}: duplicate category ids in the ground truth")

    # ------------------------------------------------------------ lookups
    @property
    def num_annotations(self) -> int:
        return len(self.rles)

    @property
    def category_names(self) -> dict[int, str]:
        return {int(c["id"]): str(c["name"]) for c in self.categories}

    def image(self, image_id: int) -> GtImage:
        return self._by_id[image_id]

    def resolve_image_id(self, value: Any) -> int | None:
        """The int image id that ``value`` refers to, or ``None``.

        COCO layout: the int id, or the file-name stem. VOC layout: the VOC id (``"2007_000033"``), an int
        registered with :meth:`add_int_aliases` (e.g. the ids of the benchmark's COCO json), or an int equal to
        ``int(VOC id)`` (``2007000033``); never the internal position, which other tools would not know.
        """
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, np.integer)):
            if self.layout == "voc":
                if int(value) in self._aliases:
                    return self._aliases[int(value)]
                return self._by_int_name.get(int(value))
            return int(value) if int(value) in self._by_id else None
        if isinstance(value, str):
            if value in self._by_name:
                return self._by_name[value]
            stem = Path(value).stem
            if stem in self._by_name:
                return self._by_name[stem]
            if value.isdigit() and self.layout == "coco" and int(value) in self._by_id:
                return int(value)
        return None

    def add_int_aliases(self, int_ids_to_names: dict[int, str], source: str = "") -> None:
        """Accept other int image ids for VOC-layout images, e.g. a COCO json's ids (id -> file stem).

        Raises:
            DataError: a name that is not an image of this ground truth.
        """
        for int_id, name in int_ids_to_names.items():
            stem = Path(str(name)).stem
            if stem not in self._by_name:
                raise DataError(f"{source}: image {name!r} (id {int_id}) is not in the ground truth {self.source}")
            self._aliases[int(int_id)] = self._by_name[stem]

    def subset_categories(self, cat_ids: Sequence[int] | None) -> list[int]:
        """Sorted category ids to evaluate (all when ``None``)."""
        known = sorted(int(c["id"]) for c in self.categories)
        if cat_ids is None:
            return known
        return sorted(int(c) for c in cat_ids)

    def to_coco_dict(self) -> dict[str, Any]:
        """A COCO-format dataset dict (annotation ids 1..M in order; RLE counts as bytes)."""
        images = [{"id": im.id, "height": im.height, "width": im.width,
                   "file_name": im.file_name or im.name} for im in self.images]
        columns = zip(self.image_ids.tolist(), self.category_ids.tolist(), self.rles, self.areas.tolist(),
                      self.iscrowd.tolist())
        anns = [{"id": n, "image_id": i, "category_id": c, "segmentation": r, "area": a, "iscrowd": int(k),
                 "bbox": [0.0, 0.0, 0.0, 0.0]} for n, (i, c, r, a, k) in enumerate(columns, start=1)]
        return {"images": images, "annotations": anns, "categories": [dict(c) for c in self.categories]}

    def to_coco_json(self) -> dict[str, Any]:
        """:meth:`to_coco_dict` with str RLE counts and real boxes (to write as a file)."""
        from pycocotools import mask as mask_utils

        d = self.to_coco_dict()
        for ann in d["annotations"]:
            ann["bbox"] = [float(v) for v in mask_utils.toBbox(ann["segmentation"])]
            ann["segmentation"] = json_rle(ann["segmentation"])
        return d


def _require(record: dict, key: str, where: str) -> Any:
    if key not in record:
        raise DataError(f"{where}: missing '{key}'")
    return record[key]


def _as_int(value: Any, what: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise DataError(f"{where}: {what} must be an integer, got {value!r}")
    return int(value)


def load_coco_gt(source: str | os.PathLike | dict) -> InstanceGroundTruth:
    """Read a COCO instances json (path or already-loaded dict) as :class:`InstanceGroundTruth`.

    Raises:
        DataError: unreadable file, duplicate image ids, annotations of unknown images or categories,
            malformed or wrongly sized masks.
    """
    if isinstance(source, dict):
        data, name = source, "<ground-truth dict>"
    else:
        name = str(source)
        try:
            with open(source) as f:
                data = json.load(f)
        except FileNotFoundError:
            raise DataError(f"{name}: ground-truth file is missing") from None
        except (OSError, ValueError) as e:
            raise DataError(f"{name}: cannot read ground-truth json ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DataError(f"{name}: not a COCO instances file (no 'images' list)")
    images: list[GtImage] = []
    seen: set[int] = set()
    for i, img in enumerate(data["images"]):
        where = f"{name}: images[{i}]"
        if not isinstance(img, dict):
            raise DataError(f"{where}: not an object")
        img_id = _as_int(_require(img, "id", where), "id", where)
        if img_id in seen:
            raise DataError(f"{name}: duplicate image id {img_id} (images[{i}])")
        seen.add(img_id)
        h = _as_int(_require(img, "height", where), "height", where)
        w = _as_int(_require(img, "width", where), "width", where)
        file_name = img.get("file_name")
        stem = Path(file_name).stem if file_name else str(img_id)
        images.append(GtImage(img_id, stem, h, w, file_name))
    categories = []
    for i, cat in enumerate(data.get("categories") or []):
        where = f"{name}: categories[{i}]"
        categories.append({"id": _as_int(_require(cat, "id", where), "id", where),
                           "name": str(cat.get("name", cat["id"]))})
    cat_set = {c["id"] for c in categories}
    by_id = {im.id: im for im in images}
    anns = data.get("annotations") or []
    n = len(anns)
    image_ids = np.zeros(n, dtype=np.int64)
    category_ids = np.zeros(n, dtype=np.int64)
    areas = np.full(n, np.nan)
    iscrowd = np.zeros(n, dtype=bool)
    rles = []
    for i, ann in enumerate(anns):
        where = f"{name}: annotations[{i}] (id {ann.get('id')!r})" if isinstance(ann, dict) else f"annotations[{i}]"
        if not isinstance(ann, dict):
            raise DataError(f"{name}: {where}: not an object")
        img_id = _as_int(_require(ann, "image_id", where), "image_id", where)
        if img_id not in by_id:
            raise DataError(f"{where}: unknown image_id {img_id}")
        cat_id = _as_int(_require(ann, "category_id", where), "category_id", where)
        if cat_id not in cat_set:
            raise DataError(f"{where}: unknown category_id {cat_id}")
        img = by_id[img_id]
        rles.append(to_compressed_rle(_require(ann, "segmentation", where), img.height, img.width, where))
        image_ids[i], category_ids[i] = img_id, cat_id
        iscrowd[i] = bool(ann.get("iscrowd", 0))
        if ann.get("area") is not None:
            areas[i] = float(ann["area"])
    try:
        mask_areas = rle_areas(rles)
    except RleDecodeError as e:
        raise DataError(f"{name}: annotations[{e.index}]: malformed RLE ({e.problem})") from None
    missing = np.isnan(areas)
    areas[missing] = mask_areas[missing]
    return InstanceGroundTruth(images, categories, image_ids, category_ids, rles, areas, iscrowd,
                               source=name, layout="coco")


def load_voc_instance_gt(root: str | os.PathLike, split: str = "val", class_names: Sequence[str] | None = None,
                         ids: Sequence[str] | None = None, progress: bool = False) -> InstanceGroundTruth:
    """Read VOC-layout instance ground truth (``SegmentationObject`` + ``SegmentationClass`` PNGs).

    Args:
        root: ``VOC2012`` folder or a folder containing ``VOC2012/`` (or ``VOCdevkit/VOC2012``).
        split: ``ImageSets/Segmentation/<split>.txt``.
        class_names: the K foreground classes (category ``c`` = class-map value ``c``); default: the
            ``meta.json`` classes next to the root (embedded benchmark) or VOC's 20.
        ids: image ids to read instead of the split file.
    """
    from wsisbench.datasets.voc import read_id_list, resolve_voc_root
    from wsisbench.datasets.voc_instances import instances_from_maps, read_label_map

    voc = resolve_voc_root(root)
    if class_names is None:
        class_names = default_class_names(root)
    if ids is None:
        ids = read_id_list(voc / "ImageSets" / "Segmentation" / f"{split}.txt")
    if len(set(ids)) != len(ids):
        raise DataError(f"{voc}: split {split!r} lists an image id twice")
    K = len(class_names)
    images, image_ids, category_ids, rles = [], [], [], []
    iterator = ids
    if progress:
        from tqdm import tqdm

        iterator = tqdm(ids, desc="ground truth", leave=False)
    for n, img_id in enumerate(iterator, start=1):
        obj_path = voc / "SegmentationObject" / f"{img_id}.png"
        cls_path = voc / "SegmentationClass" / f"{img_id}.png"
        obj, cls = read_label_map(obj_path), read_label_map(cls_path)
        masks, labels = instances_from_maps(obj, cls, name=f"{obj_path} / {cls_path}")
        if labels.size and labels.max() >= K:
            raise DataError(f"{cls_path}: class id {int(labels.max()) + 1} beyond the {K} classes")
        h, w = obj.shape
        images.append(GtImage(n, str(img_id), int(h), int(w), f"{img_id}.jpg"))
        rles.extend(encode_masks(masks))
        image_ids.extend([n] * len(labels))
        category_ids.extend((labels + 1).tolist())
    categories = [{"id": c + 1, "name": str(nm)} for c, nm in enumerate(class_names)]
    areas = rle_areas(rles).astype(np.float64)
    m = len(rles)
    return InstanceGroundTruth(images, categories, np.asarray(image_ids, dtype=np.int64).reshape(m),
                               np.asarray(category_ids, dtype=np.int64).reshape(m), rles, areas,
                               np.zeros(m, dtype=bool), source=str(voc), layout="voc")


def default_class_names(root: str | os.PathLike) -> tuple[str, ...]:
    """Foreground classes of a VOC-layout root: ``meta.json``'s ``classes`` if present, else VOC's 20."""
    for folder in (Path(root), Path(root).parent, Path(root).parent.parent):
        meta = folder / "meta.json"
        if meta.is_file():
            try:
                classes = json.loads(meta.read_text()).get("classes")
            except (OSError, ValueError) as e:
                raise DataError(f"{meta}: cannot read ({e})") from None
            if classes:
                names = [c["name"] if isinstance(c, dict) else str(c) for c in classes]
                return tuple(n for n in names if n != "background")
    from wsisbench.datasets.class_names import VOC_CLASSES

    return tuple(VOC_CLASSES)


def read_label_png(path: str | os.PathLike) -> np.ndarray:
    """A label PNG as indices uint8 [H, W] (palette or 8-bit grey; RGB is rejected with a DataError)."""
    from wsisbench.datasets.png import read_label_png as _read

    return _read(path)
