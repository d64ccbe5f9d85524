"""Bad input gets a DataError naming the record and the problem, never a number."""
from __future__ import annotations

import json

import numpy as np
import pytest
from evalhelpers import interval_mask as iv
from evalhelpers import random_coco_dataset

from wsisbench.errors import DataError
from wsisbench.evaluation.api import evaluate_instance
from wsisbench.evaluation.ground_truth import load_coco_gt
from wsisbench.evaluation.masks import RleDecodeError, encode_mask, json_rle, rle_areas
from wsisbench.evaluation.predictions import load_instance_predictions


@pytest.fixture(scope="module")
def data():
    return random_coco_dataset(20, num_images=10, num_cats=3)


def _rec(**kw):
    m = json_rle(encode_mask(iv(0, 10, 20, 30)))
    return dict({"image_id": 1000, "category_id": 1, "segmentation": m, "score": 0.5}, **kw)


@pytest.fixture(scope="module")
def gt():
    return load_coco_gt({"images": [{"id": 1000, "height": 20, "width": 30, "file_name": "000001.jpg"}],
                         "annotations": [], "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]})


@pytest.mark.parametrize("record,message", [
    (_rec(image_id=5), r"record #1 .*unknown image_id 5"),
    (_rec(image_id="nope"), r"unknown image_id 'nope'"),
    (_rec(category_id=7), r"record #1 .*unknown category_id 7"),
    (_rec(score=float("nan")), r"score nan"),
    (_rec(score=float("inf")), r"score inf"),
    (_rec(score=-0.1), r"score -0.1"),
    (_rec(score="high"), r"score must be a number"),
    ({"image_id": 1000, "category_id": 1, "score": 0.5}, r"missing 'segmentation'"),
    (_rec(segmentation={"size": [20, 31], "counts": json_rle(encode_mask(iv(0, 10, 20, 31)))["counts"]}),
     r"mask size \[20, 31\] differs from its image size \[20, 30\]"),
    (_rec(segmentation={"size": [20, 30], "counts": "abc"}), r"record #1 .*malformed RLE"),
    (_rec(segmentation={"size": [20, 30], "counts": "0"}), r"malformed RLE"),
    (_rec(segmentation={"size": [20, 30], "counts": "\x01\x02"}), r"malformed RLE"),
    (_rec(segmentation={"size": [20, 30], "counts": [10, 5]}), r"runs add up to 15"),
    (_rec(segmentation={"size": [20, 30], "counts": [-1, 601]}), r"negative"),
    (_rec(segmentation={"size": [20, 30]}), r"malformed RLE"),
    (_rec(segmentation=[[1, 2, 3]]), r"malformed polygon"),
])
def test_bad_prediction_records(gt, record, message):
    with pytest.raises(DataError, match=message):
        load_instance_predictions([_rec(), record], gt)


def test_names_and_file_stems_resolve(gt):
    p = load_instance_predictions([_rec(image_id="000001"), _rec(image_id="000001.jpg"), _rec(image_id=1000)], gt)
    assert p.image_ids.tolist() == [1000, 1000, 1000]


def test_bbox_in_results_is_not_used(data):
    gt_dict, results = data
    with_box = [dict(r, bbox=[0, 0, 1000, 1000]) for r in results]
    a = evaluate_instance(load_coco_gt(gt_dict), results, "coco")
    b = evaluate_instance(load_coco_gt(gt_dict), with_box, "coco")
    assert a["stats"] == b["stats"]


def test_empty_prediction_file_is_valid(tmp_path, data):
    gt_dict, _ = data
    path = tmp_path / "empty.json"
    path.write_text("[]")
    gt = load_coco_gt(gt_dict)
    for protocol in ("voc", "voc07", "coco"):
        e = evaluate_instance(gt, path, protocol)
        values = [v for k, v in e["metrics"].items() if k.startswith(("mAP", "AP", "ABO"))]
        assert values and all(v == 0.0 or np.isnan(v) for v in values)
        assert e["metrics"]["AP50" if protocol == "coco" else "mAP@0.5"] == 0.0


def test_prediction_file_errors(tmp_path, gt):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="cannot read"):
        load_instance_predictions(bad, gt)
    with pytest.raises(DataError, match="missing"):
        load_instance_predictions(tmp_path / "none.json", gt)
    coco = tmp_path / "dataset.json"
    coco.write_text(json.dumps({"images": [], "annotations": []}))
    with pytest.raises(DataError, match="COCO dataset file"):
        load_instance_predictions(coco, gt)


def test_bad_ground_truth():
    base = {"images": [{"id": 1, "height": 4, "width": 5}, {"id": 2, "height": 4, "width": 5}],
            "categories": [{"id": 1, "name": "a"}], "annotations": []}
    with pytest.raises(DataError, match="duplicate image id 1"):
        load_coco_gt(dict(base, images=base["images"] + [{"id": 1, "height": 4, "width": 5}]))
    ann = {"id": 1, "image_id": 3, "category_id": 1, "segmentation": [[0, 0, 4, 0, 4, 3]], "area": 5, "iscrowd": 0}
    with pytest.raises(DataError, match="annotations\\[0\\].*unknown image_id 3"):
        load_coco_gt(dict(base, annotations=[ann]))
    with pytest.raises(DataError, match="unknown category_id 9"):
        load_coco_gt(dict(base, annotations=[dict(ann, image_id=1, category_id=9)]))
    with pytest.raises(DataError, match="mask size"):
        load_coco_gt(dict(base, annotations=[dict(ann, image_id=1, segmentation={"size": [5, 5], "counts": "0"})]))
    with pytest.raises(DataError, match="malformed RLE"):
        load_coco_gt(dict(base, annotations=[dict(ann, image_id=1, segmentation={"size": [4, 5], "counts": "4"})]))
    gt = load_coco_gt(dict(base, annotations=[dict(ann, image_id=1, area=None)]))
    assert gt.areas[0] == gt.areas[0] and gt.areas[0] > 0  # mask area where the json has none


def test_rle_checks_agree_with_pycocotools_areas():
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(3)
    rles = []
    for i in range(200):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        m = rng.random((h, w)) < rng.random()
        if i % 9 == 0:
            m[:] = i % 2
        rles.append(encode_mask(m))
    np.testing.assert_array_equal(rle_areas(rles), [int(mask_utils.area(r)) for r in rles])
    good = rles[4]["counts"]
    for bad in (good[:-1] + b"\x60", good + b"1", b"p" + good):
        with pytest.raises(RleDecodeError):
            rle_areas([rles[0], {"size": rles[4]["size"], "counts": bad}])


def test_rgb_label_png_is_rejected(tmp_path):
    from PIL import Image

    from wsisbench.evaluation.ground_truth import read_label_png

    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "x.png")
    with pytest.raises(DataError, match="RGB"):
        read_label_png(tmp_path / "x.png")


def test_unknown_protocol_and_bad_thresholds(data):
    gt_dict, results = data
    gt = load_coco_gt(gt_dict)
    with pytest.raises(DataError, match="unknown instance protocol"):
        evaluate_instance(gt, results, "vocc")
    with pytest.raises(DataError, match="outside"):
        evaluate_instance(gt, results, "voc", iou_thrs=[1.5])
    with pytest.raises(DataError):
        evaluate_instance(gt, results, "voc", classes=["no such class"])
