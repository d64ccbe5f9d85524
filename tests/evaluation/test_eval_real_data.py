"""Real annotations from ``../shared/data``: COCO val2017 (coco_mini) and one official VOC 2012 image."""
from __future__ import annotations

import json

import numpy as np
import pytest
from evalhelpers import SHARED_DATA, decode, pycocotools_eval, reference_per_class_ap

from wsisbench.evaluation.api import evaluate_instance, evaluate_semantic, semantic_gt_pairs
from wsisbench.evaluation.ground_truth import load_coco_gt, load_voc_instance_gt
from wsisbench.evaluation.masks import encode_mask, json_rle

COCO_JSON = SHARED_DATA / "coco_mini" / "annotations" / "instances_val2017.json"
VOC_ROOT = SHARED_DATA / "voc_sample"

pytestmark = pytest.mark.skipif(not COCO_JSON.is_file(), reason="shared data not available")


@pytest.fixture(scope="module")
def coco():
    return json.loads(COCO_JSON.read_text())


def _gt_as_predictions(coco):
    return [{"image_id": a["image_id"], "category_id": a["category_id"], "segmentation": a["segmentation"],
             "score": 1.0 - 1e-4 * i} for i, a in enumerate(coco["annotations"]) if not a["iscrowd"]]


def test_ground_truth_as_predictions_gives_ap_one(coco):
    gt = load_coco_gt(COCO_JSON)
    assert len(gt.images) == 79 and gt.num_annotations == 624 and int(gt.iscrowd.sum()) == 5
    e = evaluate_instance(gt, _gt_as_predictions(coco), "coco")
    assert e["stats"][:6] == [1.0] * 6 and e["metrics"]["AR100"] == 1.0
    assert all(v == 1.0 for v in e["per_class"]["AP"].values() if not np.isnan(v))
    for protocol in ("voc", "voc07"):
        v = evaluate_instance(gt, _gt_as_predictions(coco), protocol)
        assert all(abs(x - 1.0) < 1e-12 for x in v["metrics"].values())


def _perturbed(coco, seed):
    rng = np.random.default_rng(seed)
    imgs = {im["id"]: im for im in coco["images"]}
    out = []
    for a in coco["annotations"]:
        if a["iscrowd"] or rng.random() < 0.15:
            continue
        im = imgs[a["image_id"]]
        m = decode(a["segmentation"]) if isinstance(a["segmentation"], dict) else _poly(a, im)
        for _ in range(int(rng.integers(1, 3))):
            dy, dx = rng.integers(-12, 13, 2)
            p = np.roll(np.roll(m, dy, 0), dx, 1)
            cat = a["category_id"] if rng.random() < 0.9 else int(rng.choice([c["id"] for c in coco["categories"]]))
            out.append({"image_id": a["image_id"], "category_id": cat, "segmentation": json_rle(encode_mask(p)),
                        "score": float(rng.random())})
    return out


def _poly(a, im):
    from pycocotools import mask as mask_utils

    rle = mask_utils.merge(mask_utils.frPyObjects(a["segmentation"], im["height"], im["width"]))
    return mask_utils.decode(rle).astype(bool)


@pytest.mark.parametrize("seed", [0, 1])
def test_perturbed_predictions_match_pycocotools(coco, seed):
    from wsisbench.datasets.class_names import NONVOC_COCO_CATEGORY_IDS, VOC_COCO_CATEGORY_IDS

    results = _perturbed(coco, seed)
    gt = load_coco_gt(COCO_JSON)
    for classes, cat_ids in ((None, None), ("voc", VOC_COCO_CATEGORY_IDS), ("nonvoc", NONVOC_COCO_CATEGORY_IDS)):
        e = evaluate_instance(gt, results, "coco", classes=classes)
        ref = pycocotools_eval(coco, results, cat_ids=cat_ids)
        np.testing.assert_allclose(e["stats"], ref.stats, rtol=0, atol=1e-12)
        np.testing.assert_allclose(list(e["per_class"]["AP"].values()), reference_per_class_ap(ref),
                                   rtol=0, atol=1e-12, equal_nan=True)
        assert 0.05 < e["stats"][0] < 0.9


def test_official_voc_image(tmp_path):
    gt = load_voc_instance_gt(VOC_ROOT, "sample")
    assert [im.name for im in gt.images] == ["2007_000063"]
    names = gt.category_names
    assert sorted(names[c] for c in gt.category_ids) == ["chair", "dog"]
    records = [{"image_id": "2007_000063", "category_id": int(c), "segmentation": json_rle(r), "score": 0.9 - i / 10}
               for i, (c, r) in enumerate(zip(gt.category_ids, gt.rles))]
    e = evaluate_instance(gt, records, "voc")
    assert e["metrics"]["mAP@0.5"] == 1.0 and e["metrics"]["ABO"] == 1.0
    assert e["num_gt"] == 2 and e["per_class"]["AP@0.5"]["dog"] == 1.0
    # semantic: the ground truth scored against itself
    pairs = semantic_gt_pairs(VOC_ROOT, "sample")
    pred_dir = tmp_path / "pred"
    pred_dir.mkdir()
    (pred_dir / "2007_000063.png").write_bytes(pairs[0][1].read_bytes())
    from wsisbench.datasets.class_names import VOC_CLASSES

    names = ["background", *VOC_CLASSES]
    from wsisbench.errors import DataError

    with pytest.raises(DataError, match="out-of-range value.*255"):  # the GT's void band, as a prediction
        evaluate_semantic(pairs, pred_dir, names, progress=False)
    s = evaluate_semantic(pairs, pred_dir, names, out_of_range="ignore", progress=False)
    assert s["metrics"]["mIoU"] == 1.0 and s["metrics"]["aAcc"] == 1.0
    assert s["per_class"]["IoU"]["dog"] == 1.0 and np.isnan(s["per_class"]["IoU"]["cat"])
    assert s["metrics"]["mIoU_nan0"] == pytest.approx(3 / 21)
