"""COCO reading on the shared coco_mini sample, and the A/B class-split views."""
import json

import pytest

from wsisbench.datasets import CocoSplitDataset, resolve_category_subset
from wsisbench.datasets.class_names import VOC_COCO_CATEGORY_IDS
from wsisbench.errors import DataError


def _dataset(root, **kw):
    kw.setdefault("test_mode", True)
    return CocoSplitDataset(ann_file="annotations/instances_val2017.json", data_root=str(root),
                            data_prefix=dict(img="val2017"), **kw)


def test_loads_everything(coco_mini_root):
    ds = _dataset(coco_mini_root)
    assert len(ds) == 79 and len(ds.metainfo["classes"]) == 80
    instances = [i for k in range(len(ds)) for i in ds.get_data_info(k)["instances"]]
    assert len(instances) == 624
    assert sum(i["ignore_flag"] for i in instances) == 5  # the crowd annotations
    assert len({i["category_id"] for i in instances}) == 78
    info = ds.get_data_info(0)
    assert isinstance(info["img_id"], str) and int(info["img_id"]) == info["coco_img_id"]
    assert info["image_labels"] == sorted({i["bbox_label"] for i in info["instances"]})
    assert info["img_path"].endswith(".jpg")


def test_class_split_views(coco_mini_root):
    voc = _dataset(coco_mini_root, keep_classes="voc")
    nonvoc = _dataset(coco_mini_root, keep_classes="nonvoc")
    n_voc = sum(len(voc.get_data_info(k)["instances"]) for k in range(len(voc)))
    n_nonvoc = sum(len(nonvoc.get_data_info(k)["instances"]) for k in range(len(nonvoc)))
    assert (n_voc, n_nonvoc) == (288, 336)
    assert len(voc) == len(nonvoc) == 79  # all images stay in an evaluation view
    train = _dataset(coco_mini_root, mask_classes="voc", test_mode=False)
    inst = [i for k in range(len(train)) for i in train.get_data_info(k)["instances"]]
    assert len(inst) == 624  # boxes of A and B
    assert all(i["has_mask"] == (i["category_id"] in VOC_COCO_CATEGORY_IDS) for i in inst)
    placeholder = next(i for i in inst if not i["has_mask"])["mask"]
    assert set(placeholder) == {"size", "counts"}


def test_mask_placeholders_load_in_mmdet(coco_mini_root):
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets.transforms import LoadAnnotations
    from mmengine.dataset import Compose

    ds = _dataset(coco_mini_root, mask_classes="voc", test_mode=False)
    info = ds.get_data_info(0)
    out = Compose([LoadImageFromFile(), LoadAnnotations(with_bbox=True, with_mask=True)])(info)
    areas = out["gt_masks"].masks.reshape(len(info["instances"]), -1).sum(1)
    for inst, area in zip(info["instances"], areas):
        assert (area > 0) == inst["has_mask"]


def test_subsets_and_errors(coco_mini_json, tmp_path):
    cats = json.loads(coco_mini_json.read_text())["categories"]
    assert resolve_category_subset("voc", cats) == set(VOC_COCO_CATEGORY_IDS)
    assert resolve_category_subset(["dog", 1], cats) == {18, 1}
    with pytest.raises(DataError, match="unicorn"):
        resolve_category_subset(["unicorn"], cats)
    with pytest.raises(DataError, match=r"instances_missing\.json.*missing"):
        CocoSplitDataset(ann_file=str(tmp_path / "instances_missing.json"), data_prefix=dict(img=""))


def test_labels_follow_class_names_whatever_the_category_order(coco_mini_json, tmp_path):
    """Label k is metainfo['classes'][k] even when the json lists its categories shuffled."""
    data = json.loads(coco_mini_json.read_text())
    names = [c["name"] for c in data["categories"]]
    shuffled = dict(data, categories=list(reversed(data["categories"])))
    ann = tmp_path / "shuffled.json"
    ann.write_text(json.dumps(shuffled))
    kw = dict(data_root=str(coco_mini_json.parents[1]), data_prefix=dict(img="val2017"), test_mode=True,
              metainfo=dict(classes=tuple(names)))
    plain = CocoSplitDataset(ann_file=str(coco_mini_json), **kw)
    reordered = CocoSplitDataset(ann_file=str(ann), **kw)
    id_of = {c["name"]: c["id"] for c in data["categories"]}
    for k in range(len(plain)):
        a, b = plain.get_data_info(k)["instances"], reordered.get_data_info(k)["instances"]
        assert [i["bbox_label"] for i in a] == [i["bbox_label"] for i in b]
        assert all(id_of[names[i["bbox_label"]]] == i["category_id"] for i in b)
    missing = dict(data, categories=data["categories"][1:])
    ann.write_text(json.dumps(missing))
    with pytest.raises(DataError, match=f"{names[0]!r}|not categories"):
        CocoSplitDataset(ann_file=str(ann), **kw)
