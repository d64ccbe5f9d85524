"""Protocol ``coco`` against pycocotools itself on random data: all 12 stats and per-class AP to 1e-12.

Hundreds of images with crowd GT, empty images, images without predictions, json areas that differ from
mask areas, uncompressed-RLE GT, an image over maxDets, tied and distinct scores; default and custom IoU
thresholds; category subsets with every image kept.
"""
from __future__ import annotations

import numpy as np
import pytest
from evalhelpers import pycocotools_eval, random_coco_dataset, reference_per_class_ap

from wsisbench.evaluation.api import evaluate_instance
from wsisbench.evaluation.coco_mask import COCO_IOU_THRESHOLDS, evaluate_coco_segm
from wsisbench.evaluation.ground_truth import load_coco_gt
from wsisbench.evaluation.predictions import load_instance_predictions

TOL = 1e-12


def _ours(gt_dict, results, cat_ids=None, iou_thrs=None):
    gt = load_coco_gt(gt_dict)
    preds = load_instance_predictions(results, gt)
    return evaluate_coco_segm(gt, preds, cat_ids, iou_thrs)


def _compare(ours, ref, cat_ids):
    np.testing.assert_allclose(ours["stats"], ref.stats, rtol=0, atol=TOL)
    assert ours["cat_ids"] == sorted(cat_ids)
    np.testing.assert_allclose(ours["per_class_ap"], reference_per_class_ap(ref), rtol=0, atol=TOL, equal_nan=True)


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (2, False), (3, True)])
def test_default_parameters(seed, ties):
    gt_dict, results = random_coco_dataset(seed, num_images=300, ties=ties)
    ref = pycocotools_eval(gt_dict, results)
    ours = _ours(gt_dict, results)
    _compare(ours, ref, [c["id"] for c in gt_dict["categories"]])
    assert 0.05 < ref.stats[0] < 0.95  # a non-trivial case
    assert len(ours["stats"]) == 12 and ours["metrics"]["AP"] == ours["stats"][0]
    for label, t in (("AP50", 0), ("AP75", 5)):
        np.testing.assert_allclose(list(ours["per_class"][label].values()), reference_per_class_ap(ref, t),
                                   rtol=0, atol=TOL, equal_nan=True)


@pytest.mark.parametrize("seed", [4, 5])
def test_custom_thresholds_and_voc_style_map(seed):
    thrs = [0.25, 0.5, 0.7, 0.75]
    gt_dict, results = random_coco_dataset(seed, num_images=200)
    ref = pycocotools_eval(gt_dict, results, iou_thrs=thrs)
    ours = _ours(gt_dict, results, iou_thrs=thrs)
    _compare(ours, ref, [c["id"] for c in gt_dict["categories"]])
    # mAP@t / AP@t are the CIM-style numbers: area all, maxDets 100, exactly as a run with only those
    ref_all = pycocotools_eval(gt_dict, results, iou_thrs=thrs, area_all_only=True, max_dets=[100])
    for i, t in enumerate(thrs):
        p = ref_all.eval["precision"][i, :, :, 0, 0]
        key = f"{t:g}"
        assert abs(ours["metrics"][f"mAP@{key}"] - np.mean(p[p > -1])) <= TOL
        per = np.array(list(ours["per_class"][f"AP@{key}"].values()))
        np.testing.assert_allclose(per, reference_per_class_ap(ref_all, i), rtol=0, atol=TOL, equal_nan=True)


@pytest.mark.parametrize("subset", ["voc", "nonvoc", [3, 18, 44, 90]])
def test_category_subsets_keep_all_images(subset):
    from wsisbench.datasets.class_names import COCO_CATEGORY_IDS, NONVOC_COCO_CATEGORY_IDS, VOC_COCO_CATEGORY_IDS

    gt_dict, results = random_coco_dataset(6, num_images=250, cat_ids=COCO_CATEGORY_IDS[:40:2] + (62, 72, 90))
    cat_ids = {"voc": VOC_COCO_CATEGORY_IDS, "nonvoc": NONVOC_COCO_CATEGORY_IDS}.get(subset, subset) \
        if isinstance(subset, str) else subset
    present = sorted(set(cat_ids) & {c["id"] for c in gt_dict["categories"]})
    ref = pycocotools_eval(gt_dict, results, cat_ids=present)
    # subset AP differs from the AP over images that contain the subset (the wrong way of doing it)
    gt = load_coco_gt(gt_dict)
    entry = evaluate_instance(gt, results, "coco", classes=present)
    np.testing.assert_allclose(entry["stats"], ref.stats, rtol=0, atol=TOL)
    np.testing.assert_allclose(list(entry["per_class"]["AP"].values()), reference_per_class_ap(ref),
                               rtol=0, atol=TOL, equal_nan=True)
    assert entry["metrics"]["AP"] == entry["stats"][0]
    assert entry["classes"] == [f"cat{c}" for c in present]


def test_named_voc_subset_resolves_to_the_20_coco_ids():
    from wsisbench.datasets.class_names import COCO_CATEGORY_IDS, VOC_COCO_CATEGORY_IDS

    gt_dict, results = random_coco_dataset(7, num_images=120, cat_ids=COCO_CATEGORY_IDS)
    gt = load_coco_gt(gt_dict)
    entry = evaluate_instance(gt, results, "coco", classes="voc")
    ref = pycocotools_eval(gt_dict, results, cat_ids=VOC_COCO_CATEGORY_IDS)
    np.testing.assert_allclose(entry["stats"], ref.stats, rtol=0, atol=TOL)
    assert len(entry["classes"]) == 20


def test_empty_predictions_give_zero_ap():
    gt_dict, _ = random_coco_dataset(8, num_images=50)
    ours = _ours(gt_dict, [])
    ref = pycocotools_eval(gt_dict, [])
    np.testing.assert_allclose(ours["stats"], ref.stats, rtol=0, atol=0)
    assert ours["metrics"]["AP"] == 0.0 and ours["metrics"]["AR100"] == 0.0


def test_faster_coco_eval_default_thresholds_are_pycocotools():
    from pycocotools.cocoeval import Params

    np.testing.assert_array_equal(COCO_IOU_THRESHOLDS, Params(iouType="segm").iouThrs)


def test_precision_recall_curves_are_pycocotools_precision_at_iou_05():
    """`pr_curves` (plotted by reports) is pycocotools' interpolated precision at IoU 0.5, area all, maxDets 100,
    up to each class's last reached recall; its `ap` is the class's AP50."""
    gt_dict, results = random_coco_dataset(6, num_images=200)
    ref = pycocotools_eval(gt_dict, results)
    ours = _ours(gt_dict, results)
    assert ours["pr_curves_iou"] == 0.5
    names = {c["id"]: c["name"] for c in gt_dict["categories"]}
    ref_prec = ref.eval["precision"][0, :, :, 0, -1]  # [R, K]
    assert ours["pr_curves"], "no curve"
    for k, cat in enumerate(ref.params.catIds):
        curve = ours["pr_curves"].get(names[cat])
        if np.all(ref_prec[:, k] == -1):
            assert curve is None
            continue
        n = len(curve["recall"])
        np.testing.assert_array_equal(curve["recall"], ref.params.recThrs[:n])
        np.testing.assert_allclose(curve["precision"], ref_prec[:n, k], rtol=0, atol=TOL)
        assert np.all(ref_prec[n:, k] == 0)  # only unreached recall points are dropped
        assert abs(curve["ap"] - ours["per_class"]["AP50"][names[cat]]) <= TOL
