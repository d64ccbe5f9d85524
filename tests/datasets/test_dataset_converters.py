"""Converters: COCO voc/non-voc split files, COCO -> VOC -> COCO round trip, VOC -> COCO, statistics."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from wsisbench.datasets import load_voc_instances
from wsisbench.datasets.class_names import VOC_CLASSES, VOC_ORDER_COCO_IDS
from wsisbench.datasets.converters import (
    coco_class_split,
    coco_class_statistics,
    coco_to_voc,
    lid_labels_from_ilsvrc_xml,
    paint_order,
    save_table_csv,
    voc_class_statistics,
    voc_to_coco,
)
from wsisbench.datasets.png import read_label_png
from wsisbench.datasets.rle import decode_segmentation, encode_mask, json_rle
from wsisbench.errors import DataError


def test_coco_class_split(coco_mini_json, tmp_path):
    voc_path, nonvoc_path = coco_class_split(coco_mini_json, tmp_path)
    voc, nonvoc = json.loads(voc_path.read_text()), json.loads(nonvoc_path.read_text())
    assert (len(voc["annotations"]), len(nonvoc["annotations"])) == (288, 336)
    assert voc_path.name == "instances_val2017_voc.json" and nonvoc_path.name == "instances_val2017_nonvoc.json"
    for part in (voc, nonvoc):  # as Mask^X R-CNN's files: every image and the 80-category list in both
        assert len(part["images"]) == 79 and len(part["categories"]) == 80
        assert part["info"]["year"] == 2017


def test_coco_voc_round_trip(coco_mini_json, coco_mini_root, tmp_path):
    """COCO -> VOC PNGs -> COCO.

    What "identical" can mean: a VOC object map holds one instance per pixel, so overlapping COCO masks
    cannot all survive. With the documented painting rule (crowd first as void, then by decreasing area,
    later wins) the k-th painted instance comes back as exactly ``mask_k minus the union of the masks
    painted after it``. In particular every non-crowd instance that no later (smaller) instance overlaps -
    a fortiori every instance that overlaps no other instance - comes back pixel-identical, with an
    identical RLE string; crowd regions become void (255) where no instance is painted over them.
    """
    records = coco_to_voc(coco_mini_json, coco_mini_root / "val2017", tmp_path / "out", split="val2017",
                          images="none", show_progress=False)
    back = voc_to_coco(tmp_path / "out", "val2017", tmp_path / "back.json", show_progress=False)
    coco = json.loads(coco_mini_json.read_text())
    images = {im["id"]: im for im in coco["images"]}
    back_by_key = {(next(im["voc_id"] for im in back["images"] if im["id"] == a["image_id"]), a["voc_object_id"]): a
                   for a in back["annotations"]}
    voc_ids = set(VOC_ORDER_COCO_IDS)
    n_exact = n_clipped = n_isolated = 0
    for img_id, img in images.items():
        anns = [a for a in coco["annotations"] if a["image_id"] == img_id and a["category_id"] in voc_ids]
        masks = [decode_segmentation(a["segmentation"], img["height"], img["width"]) for a in anns]
        order = paint_order(anns, masks)
        stem = img["file_name"][:-4]
        for pos, i in enumerate(order):
            later = np.zeros_like(masks[i])
            for j in order[pos + 1:]:
                later |= masks[j]
            expected = masks[i] & ~later
            key = (stem, pos + 1)
            if not expected.any():
                assert key not in back_by_key
                continue
            got = back_by_key[key]
            assert VOC_ORDER_COCO_IDS[got["category_id"] - 1] == anns[i]["category_id"]
            np.testing.assert_array_equal(decode_segmentation(got["segmentation"], img["height"], img["width"]),
                                          expected)
            if not (masks[i] & later).any():
                n_exact += 1
                assert got["segmentation"]["counts"] == json_rle(encode_mask(masks[i]))["counts"]
                others = [masks[j] for j in order if j != i]
                n_isolated += not any((masks[i] & m).any() for m in others)
            else:
                n_clipped += 1
        crowd = np.zeros((img["height"], img["width"]), bool)
        for a, m in zip(anns, masks):
            if a["iscrowd"]:
                crowd |= m
        cls_map = read_label_png(tmp_path / "out/VOC2012/SegmentationClass" / f"{stem}.png")
        painted = np.zeros_like(crowd)
        for i in order:
            painted |= masks[i]
        assert np.all(cls_map[crowd & ~painted] == 255)
    assert n_exact + n_clipped == len(back["annotations"]) == 287  # 288 VOC annotations, 1 of them crowd
    # coco_mini: 150 instances overlap no other, 62 more are overlapped only by larger (earlier) ones
    assert (n_exact, n_isolated, n_clipped) == (212, 150, 75)
    assert len(records) == 287 and all(r["pixels"] > 0 for r in records)


def test_voc_to_coco_is_exact(voc_sample_root, tmp_path):
    data = voc_to_coco(voc_sample_root, "sample", tmp_path / "voc.json", show_progress=False)
    assert [c["name"] for c in data["categories"]] == list(VOC_CLASSES)
    assert data["images"][0] == dict(id=2007000063, file_name="2007_000063.jpg", height=375, width=500,
                                     voc_id="2007_000063")
    voc = voc_sample_root / "VOC2012"
    masks, labels = load_voc_instances(voc / "SegmentationObject/2007_000063.png",
                                       voc / "SegmentationClass/2007_000063.png")
    for ann, mask, label in zip(data["annotations"], masks, labels):
        np.testing.assert_array_equal(decode_segmentation(ann["segmentation"], 375, 500), mask)
        assert ann["category_id"] == label + 1 and ann["area"] == mask.sum()
        from pycocotools import mask as mask_utils

        seg = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
        assert mask_utils.toBbox(seg).tolist() == ann["bbox"]
    assert json.loads((tmp_path / "voc.json").read_text())["annotations"][0]["category_id"] in (9, 12)


def test_embedded_trainval_round_trip(tmp_path):
    """The generated benchmark's trainval split (ids train_000000 ... and val_000000 ... share their digits)
    converts to COCO with unique image ids, and back to VOC PNGs that equal the originals."""
    from wsisbench.benchmarks.synthetic import EMBEDDED_CLASSES, generate_embedded
    from wsisbench.datasets.converters import voc_image_ids

    assert voc_image_ids(["train_000000", "val_000000"]) == [1, 2]
    assert voc_image_ids(["2007_000063", "2008_000001"]) == [2007000063, 2008000001]
    root = generate_embedded(tmp_path / "emb", num_train=5, num_val=4, image_size=48, progress=False)
    data = voc_to_coco(root, "trainval", tmp_path / "trainval.json", classes=EMBEDDED_CLASSES, show_progress=False)
    ids = [im["id"] for im in data["images"]]
    assert len(ids) == len(set(ids)) == 9
    back = tmp_path / "back"
    coco_to_voc(tmp_path / "trainval.json", root / "VOC2012" / "JPEGImages", back, split="trainval",
                images="none", show_progress=False)
    for im in data["images"]:
        name = im["file_name"][:-4]
        cls = read_label_png(root / "VOC2012" / "SegmentationClass" / f"{im['voc_id']}.png")
        cls_back = read_label_png(back / "VOC2012" / "SegmentationClass" / f"{name}.png")
        keep = cls != 255
        np.testing.assert_array_equal(cls_back[keep], cls[keep], err_msg=im["voc_id"])
        # instance ids may be renumbered (paint order), but each instance maps to exactly one other id
        obj = read_label_png(root / "VOC2012" / "SegmentationObject" / f"{im['voc_id']}.png")
        obj_back = read_label_png(back / "VOC2012" / "SegmentationObject" / f"{name}.png")
        pairs = set(zip(obj[keep].tolist(), obj_back[keep].tolist()))
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}), im["voc_id"]


def test_statistics(coco_mini_json, voc_sample_root, tmp_path):
    table = coco_class_statistics(coco_mini_json, show_progress=False)
    assert len(table) == 80 and table["instances"].sum() + table["crowd"].sum() == 624
    assert table.loc[table["class"] == "hot dog", "images"].item() == 0
    voc = voc_class_statistics(voc_sample_root, "sample", show_progress=False)
    row = voc.set_index("class").loc["dog"]
    assert (row["images"], row["instances"], row["pixels"]) == (1, 1, 27632)
    assert voc.set_index("class").loc["void", "pixels"] == 8714
    save_table_csv(voc, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text().startswith("class_id,class,images,instances,crowd,pixels")


def test_lid_labels_from_xml(tmp_path):
    xml_dir = tmp_path / "Annotations/DET/train"
    for rel, wnids in (("ILSVRC2013_train/n02084071/a", ["n02084071", "n00007846", "n02084071"]),
                       ("ILSVRC2014_train_0000/b", [])):
        path = xml_dir / f"{rel}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        root = ET.Element("annotation")
        for w in wnids:
            ET.SubElement(ET.SubElement(root, "object"), "name").text = w
        ET.ElementTree(root).write(path)
    assert lid_labels_from_ilsvrc_xml(xml_dir, tmp_path / "train_labels.txt", show_progress=False) == 2
    expected = "ILSVRC2013_train/n02084071/a 58 124\nILSVRC2014_train_0000/b\n"
    assert (tmp_path / "train_labels.txt").read_text() == expected
    bad = xml_dir / "c.xml"
    bad.write_text("<annotation><object><name>n99999999</name></object></annotation>")
    with pytest.raises(DataError, match=r"c\.xml.*n99999999"):
        lid_labels_from_ilsvrc_xml(xml_dir, tmp_path / "x.txt", show_progress=False)
