"""Encoding and writing the mechanism benchmark: the embedded benchmark's VOC, COCO and LID layouts plus part
maps and image-level label lists.

- ``VOC2012/`` as the embedded benchmark (JPEGImages, SegmentationClass, SegmentationObject, Annotations,
  ImageSets/Segmentation) plus
  ``SegmentationPart/<id>.png``: palette PNG, 0 not an object, 1 part pixel, 2 body pixel, 255 void band;
  ``ImageLabels/<split>.txt``: ``<id> <c1> <c2> ...`` image-level class indices (1..K, ascending) as given
  to weakly supervised methods (train: after the label-noise view's drops; val: complete).
- ``annotations/instances_<split>.json``: as the embedded benchmark; each annotation also has
  ``part_area``, the visible part pixels of the instance (void band not removed, like ``area``).
- ``LID/``: as the embedded benchmark; ``train.txt`` holds the published (possibly noisy) labels.

:func:`encode_image` turns one scene into file bytes and COCO annotations (it runs in the worker
processes); :class:`MechanismWriter` writes them in image order and the per-split lists at the end.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from wsisbench.benchmarks.synthetic.encoding import encode_gray_png, encode_jpeg, encode_palette_png
from wsisbench.benchmarks.synthetic.writers_coco import CocoWriter
from wsisbench.benchmarks.synthetic.writers_lid import LidWriter
from wsisbench.benchmarks.synthetic.writers_voc import VocWriter, voc_xml

from .scene import MechanismScene

_DATABASE = b"wsisbench mechanism benchmark"


def label_line(image_id: str, labels: Sequence[int]) -> str:
    return " ".join([image_id, *(str(c) for c in labels)])


@dataclass
class EncodedImage:
    """One image ready to write: ``files`` (path relative to the root -> bytes), ``coco`` (annotations
    without ``id`` / ``image_id``), ``size`` (height, width) and the published image ``labels``."""

    split: str
    image_id: str
    files: dict[str, bytes]
    coco: list[dict]
    size: tuple[int, int]
    labels: list[int]


def coco_annotations(ms: MechanismScene) -> list[dict]:
    """COCO annotations of the scene's instances (RLE of the visible masks, void band not removed)."""
    h, w = ms.scene.image.shape[:2]
    out = []
    for inst, info in zip(ms.scene.instances, ms.parts, strict=True):
        rle = mask_utils.encode(np.asfortranarray(inst.mask.astype(np.uint8)))
        out.append({
            "category_id": inst.label,
            "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
            "area": float(mask_utils.area(rle)),
            "bbox": [float(x) for x in mask_utils.toBbox(rle)],
            "iscrowd": 0,
            "part_area": info.part_area,
        })
    return out


def encode_image(split: str, image_id: str, ms: MechanismScene, labels: Sequence[int],
                 class_names: Sequence[str], jpeg_quality: int) -> EncodedImage:
    """Every file of one image (VOC JPEG / PNGs / XML / part map, LID copy and val PNG) and its COCO
    annotations."""
    scene = ms.scene
    jpeg = encode_jpeg(scene.image, jpeg_quality)
    xml = voc_xml(image_id, scene, class_names).replace(b"wsisbench embedded synthetic benchmark", _DATABASE)
    files = {
        f"VOC2012/JPEGImages/{image_id}.jpg": jpeg,
        f"VOC2012/SegmentationClass/{image_id}.png": encode_palette_png(scene.class_map),
        f"VOC2012/SegmentationObject/{image_id}.png": encode_palette_png(scene.object_map),
        f"VOC2012/SegmentationPart/{image_id}.png": encode_palette_png(ms.part_map),
        f"VOC2012/Annotations/{image_id}.xml": xml,
        f"LID/{split}/{image_id}.JPEG": jpeg,
    }
    if split != "train":
        files[f"LID/val_annotations/{image_id}.png"] = encode_gray_png(scene.class_map)
    return EncodedImage(split, image_id, files, coco_annotations(ms), scene.image.shape[:2], list(labels))


class _Coco(CocoWriter):
    def add_encoded(self, enc: EncodedImage) -> None:
        h, w = enc.size
        coco_image_id = len(self.images) + 1
        self.images.append({"id": coco_image_id, "file_name": f"{enc.image_id}.jpg", "width": w, "height": h})
        for ann in enc.coco:
            self.annotations.append({"id": len(self.annotations) + 1, "image_id": coco_image_id, **ann})

    def finish(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"info": {"description": "wsisbench mechanism benchmark"}, "licenses": [], "images": self.images,
               "annotations": self.annotations, "categories": self.categories}
        self.path.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n")
        return self.path


class MechanismWriter:
    """Writes encoded images in order (:meth:`add`), then the split lists and COCO files (:meth:`finish`)."""

    def __init__(self, root: Path, class_names: Sequence[str], splits: Sequence[str]):
        self.root = Path(root)
        self.voc = VocWriter(self.root, class_names)  # creates the VOC folders; writes ImageSets at the end
        self.lid = LidWriter(self.root, class_names)  # creates the LID folders; writes the lists at the end
        for sub in ("SegmentationPart", "ImageLabels"):
            (self.voc.base / sub).mkdir(parents=True, exist_ok=True)
        self.coco = {s: _Coco(self.root, s, class_names) for s in splits}
        self.ids: dict[str, list[str]] = {s: [] for s in splits}
        self.label_lines: dict[str, list[str]] = {s: [] for s in splits}

    def add(self, enc: EncodedImage) -> None:
        for rel, data in enc.files.items():
            (self.root / rel).write_bytes(data)
        self.coco[enc.split].add_encoded(enc)
        self.ids[enc.split].append(enc.image_id)
        line = label_line(enc.image_id, enc.labels)
        self.label_lines[enc.split].append(line)
        self.lid.lines[enc.split].append(line if enc.split == "train" else enc.image_id)

    def finish(self) -> None:
        for coco in self.coco.values():
            coco.finish()
        self.voc.finish(self.ids)
        self.lid.finish()
        for split, lines in self.label_lines.items():
            (self.voc.base / "ImageLabels" / f"{split}.txt").write_text("".join(f"{line}\n" for line in lines))
