"""Writes scenes in the PASCAL VOC 2012 layout under ``<root>/VOC2012``.

- ``JPEGImages/<id>.jpg``
- ``SegmentationClass/<id>.png``: palette PNG, 0 background, 1..K classes, 255 void band
- ``SegmentationObject/<id>.png``: palette PNG, 0 background, 1..n instances (drawing order), 255 void band
- ``Annotations/<id>.xml``: VOC XML; boxes are the 1-based inclusive bounds of the visible masks
- ``ImageSets/Segmentation/{train,val,trainval}.txt``: one id per line
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

from .encoding import encode_palette_png
from .scene import Scene


def voc_xml(image_id: str, scene: Scene, class_names: Sequence[str]) -> bytes:
    """The VOC annotation XML of one scene (pose 'Unspecified', difficult 0, truncated from the outline)."""
    h, w = scene.image.shape[:2]
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "VOC2012"
    ET.SubElement(root, "filename").text = f"{image_id}.jpg"
    source = ET.SubElement(root, "source")
    ET.SubElement(source, "database").text = "wsisbench embedded synthetic benchmark"
    size = ET.SubElement(root, "size")
    for tag, value in (("width", w), ("height", h), ("depth", 3)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, "segmented").text = "1"
    for inst in scene.instances:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = class_names[inst.label - 1]
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = str(int(inst.truncated))
        ET.SubElement(obj, "difficult").text = "0"
        box = ET.SubElement(obj, "bndbox")
        x0, y0, x1, y1 = inst.box
        for tag, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1 + 1), ("ymax", y1 + 1)):
            ET.SubElement(box, tag).text = str(value)
    ET.indent(root, space="\t")
    return ET.tostring(root, encoding="utf-8") + b"\n"


class VocWriter:
    """Writes one image at a time with :meth:`add`, then the split lists with :meth:`finish`."""

    def __init__(self, root: Path, class_names: Sequence[str]):
        self.base = Path(root) / "VOC2012"
        self.class_names = list(class_names)
        for sub in ("JPEGImages", "SegmentationClass", "SegmentationObject", "Annotations",
                    "ImageSets/Segmentation"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)

    def add(self, image_id: str, jpeg: bytes, scene: Scene) -> None:
        (self.base / "JPEGImages" / f"{image_id}.jpg").write_bytes(jpeg)
        (self.base / "SegmentationClass" / f"{image_id}.png").write_bytes(encode_palette_png(scene.class_map))
        (self.base / "SegmentationObject" / f"{image_id}.png").write_bytes(encode_palette_png(scene.object_map))
        (self.base / "Annotations" / f"{image_id}.xml").write_bytes(voc_xml(image_id, scene, self.class_names))

    def finish(self, ids_by_split: dict[str, list[str]]) -> None:
        """Write ``ImageSets/Segmentation/<split>.txt`` for each split and ``trainval.txt`` (train then val)."""
        sets = dict(ids_by_split)
        sets["trainval"] = [i for split in ("train", "val") for i in ids_by_split.get(split, [])]
        for name, ids in sets.items():
            text = "".join(f"{i}\n" for i in ids)
            (self.base / "ImageSets" / "Segmentation" / f"{name}.txt").write_text(text)
