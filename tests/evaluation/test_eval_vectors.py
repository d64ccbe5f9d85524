"""The test vectors T1-T6 of evaluation-protocols.md (4 x 100 masks, one class, column intervals)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from evalhelpers import interval_mask as iv
from evalhelpers import make_gt, make_preds, pycocotools_eval

from wsisbench.evaluation.api import evaluate_instance
from wsisbench.evaluation.average_precision import coco_ap_101_point, voc_ap_11_point, voc_ap_all_point
from wsisbench.evaluation.coco_mask import evaluate_coco_segm
from wsisbench.evaluation.ground_truth import load_voc_instance_gt
from wsisbench.evaluation.voc_instance import evaluate_voc_instance

SIZE = [(4, 100)]


def _t1():
    gt = make_gt(SIZE, [(0, 1, iv(0, 50), 0), (0, 1, iv(20, 70), 0)])
    preds = make_preds([(0, 1, iv(0, 50), 0.9), (0, 1, iv(8, 58), 0.8)])
    return gt, preds


def test_t1_voc_has_no_fallback():
    gt, preds = _t1()
    assert evaluate_voc_instance(gt, preds, [0.5], "voc")["metrics"]["mAP@0.5"] == 0.5
    # 11-point: recall 0.5 at precision 1 -> 6 of 11 thresholds
    assert evaluate_voc_instance(gt, preds, [0.5], "voc07")["metrics"]["mAP@0.5"] == pytest.approx(6 / 11, abs=1e-15)


def test_t1_coco_falls_back_to_the_second_gt():
    gt, preds = _t1()
    ap = evaluate_coco_segm(gt, preds, iou_thrs=[0.5])["metrics"]["mAP@0.5"]
    # the spec quotes 0.9999999999999999; pycocotools 2.0.11 itself gives exactly 1.0 here (the second
    # precision, 2 / (2 + eps), rounds to 1.0 and lifts the first), and so must we.
    ref = pycocotools_eval(gt.to_coco_json(), [dict(r) for r in preds.to_json()], iou_thrs=[0.5],
                           area_all_only=True, max_dets=[100])
    assert ap == float(np.mean(ref.eval["precision"][0, :, 0, 0, 0]))
    assert abs(ap - 1.0) <= 2.3e-16


def test_t2_iou_exactly_half_is_a_match():
    gt = make_gt(SIZE, [(0, 1, iv(0, 50), 0)])
    preds = make_preds([(0, 1, iv(0, 100), 0.9)])  # IoU 50 / 100 = 0.5
    assert evaluate_voc_instance(gt, preds, [0.5], "voc")["metrics"]["mAP@0.5"] == 1.0
    # 11-point: eleven additions of 1/11, as chainercv, give 1.0000000000000002
    assert evaluate_voc_instance(gt, preds, [0.5], "voc07")["metrics"]["mAP@0.5"] == pytest.approx(1.0, abs=1e-15)
    assert evaluate_coco_segm(gt, preds, iou_thrs=[0.5])["metrics"]["mAP@0.5"] == 1.0
    assert evaluate_voc_instance(gt, preds, [0.51], "voc")["metrics"]["mAP@0.51"] == 0.0


def test_t3_void_counts_as_background(tmp_path):
    from wsisbench.datasets.png import write_label_png

    voc = tmp_path / "VOC2012"
    cls = np.zeros((4, 100), np.uint8)
    obj = np.zeros((4, 100), np.uint8)
    cls[:, 10:50], obj[:, 10:50] = 1, 1
    cls[:, 8:10] = cls[:, 50:52] = 255
    obj[:, 8:10] = obj[:, 50:52] = 255
    write_label_png(voc / "SegmentationClass" / "x.png", cls)
    write_label_png(voc / "SegmentationObject" / "x.png", obj)
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("x\n")
    gt = load_voc_instance_gt(tmp_path, "val", class_names=["thing"])
    assert gt.num_annotations == 1 and gt.areas[0] == 160
    records = [{"image_id": "x", "category_id": 1, "score": 0.5,
                "segmentation": {"size": [4, 100], "counts": _rle_str(iv(8, 52))}}]
    e = evaluate_instance(gt, records, "voc", iou_thrs=[0.9, 0.91])
    assert e["metrics"]["ABO"] == pytest.approx(40 / 44, abs=1e-15)
    assert round(e["metrics"]["ABO"], 4) == 0.9091
    assert e["metrics"]["mAP@0.9"] == 1.0 and e["metrics"]["mAP@0.91"] == 0.0
    e = evaluate_instance(gt, records, "coco", iou_thrs=[0.9, 0.91])
    assert e["metrics"]["mAP@0.9"] == 1.0 and e["metrics"]["mAP@0.91"] == 0.0


def _rle_str(m):
    from wsisbench.evaluation.masks import encode_mask, json_rle

    return json_rle(encode_mask(m))["counts"]


def test_t4_class_without_gt_is_nan_and_leaves_map_alone():
    gt = make_gt(SIZE, [(0, 1, iv(0, 50), 0)])
    preds = make_preds([(0, 1, iv(0, 50), 0.9), (0, 2, iv(0, 50), 0.8)])
    for protocol in ("voc", "voc07"):
        r = evaluate_voc_instance(gt, preds, [0.5], protocol)
        assert math.isnan(r["per_class"]["AP@0.5"]["b"]) and math.isnan(r["per_class"]["AP@0.5"]["c"])
        assert r["metrics"]["mAP@0.5"] == pytest.approx(1.0, abs=1e-15)
    r = evaluate_coco_segm(gt, preds, iou_thrs=[0.5])
    assert math.isnan(r["per_class"]["AP@0.5"]["b"]) and r["metrics"]["mAP@0.5"] == 1.0
    # a class with GT and no predictions is 0, and counts
    gt2 = make_gt(SIZE, [(0, 1, iv(0, 50), 0), (0, 3, iv(50, 100), 0)])
    r = evaluate_voc_instance(gt2, preds, [0.5], "voc")
    assert r["per_class"]["AP@0.5"]["c"] == 0.0 and r["metrics"]["mAP@0.5"] == 0.5


def test_t5_interpolations():
    prec = np.array([1, 0.5, 2 / 3, 0.5])
    rec = np.array([0.25, 0.25, 0.5, 0.5])
    assert voc_ap_all_point(prec, rec) == pytest.approx(0.416667, abs=5e-7)
    assert voc_ap_11_point(prec, rec) == pytest.approx(0.454545, abs=5e-7)
    assert coco_ap_101_point(prec, rec) == pytest.approx(0.422442, abs=5e-7)
    assert voc_ap_all_point(prec, rec) == pytest.approx(5 / 12, abs=1e-15)
    assert voc_ap_11_point(prec, rec) == pytest.approx(5 / 11, abs=1e-15)
    assert coco_ap_101_point(prec, rec) == pytest.approx((26 + 25 * 2 / 3) / 101, abs=1e-15)


def test_t5_through_the_protocols():
    # 4 GT, detections in score order: TP, FP, TP, FP -> prec [1, .5, 2/3, .5], rec [.25, .25, .5, .5]
    gts = [(0, 1, iv(10 * k, 10 * k + 10), 0) for k in range(4)]
    preds = make_preds([(0, 1, iv(0, 10), 0.9), (0, 1, iv(60, 70), 0.8), (0, 1, iv(10, 20), 0.7),
                        (0, 1, iv(80, 90), 0.6)])
    gt = make_gt(SIZE, gts)
    assert evaluate_voc_instance(gt, preds, [0.5], "voc")["metrics"]["mAP@0.5"] == pytest.approx(5 / 12, abs=1e-15)
    assert evaluate_voc_instance(gt, preds, [0.5], "voc07")["metrics"]["mAP@0.5"] == pytest.approx(5 / 11, abs=1e-15)
    coco = evaluate_coco_segm(gt, preds, iou_thrs=[0.5])["metrics"]["mAP@0.5"]
    assert coco == pytest.approx(0.422442, abs=5e-7)


def test_t6_float32_threshold():
    gt = make_gt(SIZE, [(0, 1, iv(0, 70), 0)])
    preds = make_preds([(0, 1, iv(0, 100), 0.9)])  # IoU exactly 70 / 100
    assert evaluate_voc_instance(gt, preds, [0.7], "voc")["metrics"]["mAP@0.7"] == 1.0
    # just above 0.7 in float64 but equal in float32: chainercv still matches, pycocotools does not
    thr = float(np.nextafter(0.7, 1.0))
    assert np.float32(thr) == np.float32(0.7)
    voc = evaluate_voc_instance(gt, preds, [thr], "voc")["metrics"]
    coco = evaluate_coco_segm(gt, preds, iou_thrs=[thr])["metrics"]
    assert list(voc.values()) == [1.0] and list(coco.values())[-1] == 0.0
