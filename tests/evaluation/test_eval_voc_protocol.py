"""Protocols ``voc`` / ``voc07`` and ABO against a straightforward, independent implementation.

The reference below follows chainercv's ``eval_instance_segmentation_voc`` step by step on dense masks
(float32 IoU matrix, argmax GT, no fallback, per-class cumulative sums, loops for the AP sums). Scores are
distinct, as chainercv's unstable sort leaves ties arbitrary.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from evalhelpers import decode, random_coco_dataset

from wsisbench.evaluation.abo import average_best_overlap
from wsisbench.evaluation.api import evaluate_instance
from wsisbench.evaluation.ground_truth import load_coco_gt
from wsisbench.evaluation.predictions import load_instance_predictions
from wsisbench.evaluation.voc_instance import evaluate_voc_instance

TOL = 1e-12


def _dense(gt_dict, results):
    gts, preds = defaultdict(list), defaultdict(list)
    for a in gt_dict["annotations"]:
        if not a["iscrowd"]:
            gts[a["image_id"]].append((a["category_id"], decode(a["segmentation"])))
    for r in results:
        preds[r["image_id"]].append((r["category_id"], decode(r["segmentation"]), r["score"]))
    return gts, preds


def reference_voc(gt_dict, results, thr, use_07):
    gts, preds = _dense(gt_dict, results)
    n_pos, score, match = defaultdict(int), defaultdict(list), defaultdict(list)
    for img in gt_dict["images"]:
        g_all, p_all = gts[img["id"]], preds[img["id"]]
        labels = sorted({c for c, _ in g_all} | {c for c, _, _ in p_all})
        for lab in labels:
            pm = [(m, s) for c, m, s in p_all if c == lab]
            pm.sort(key=lambda t: -t[1])
            gm = [m for c, m in g_all if c == lab]
            n_pos[lab] += len(gm)
            score[lab].extend(s for _, s in pm)
            if not pm:
                continue
            if not gm:
                match[lab].extend([0] * len(pm))
                continue
            iou = np.zeros((len(pm), len(gm)), dtype=np.float32)
            for i, (a, _) in enumerate(pm):
                for j, b in enumerate(gm):
                    iou[i, j] = np.logical_and(a, b).sum() / np.logical_or(a, b).sum()
            gt_index = iou.argmax(axis=1)
            gt_index[iou.max(axis=1) < np.float32(thr)] = -1
            taken = np.zeros(len(gm), dtype=bool)
            for g in gt_index:
                if g >= 0:
                    match[lab].append(0 if taken[g] else 1)
                    taken[g] = True
                else:
                    match[lab].append(0)
    aps = {}
    for c in [c["id"] for c in gt_dict["categories"]]:
        if n_pos[c] == 0:
            aps[c] = np.nan
            continue
        s = np.array(score[c])
        m = np.array(match[c], dtype=int)
        order = np.argsort(-s, kind="stable")
        m = m[order]
        tp, fp = np.cumsum(m == 1), np.cumsum(m == 0)
        prec = list(tp / np.maximum(tp + fp, 1))
        rec = list(tp / n_pos[c])
        if use_07:
            ap = 0.0
            for t in np.arange(0.0, 1.1, 0.1):
                ps = [p for p, r in zip(prec, rec) if r >= t]
                ap += (max(ps) if ps else 0.0) / 11
        else:
            mrec, mpre = [0.0] + rec + [1.0], [0.0] + prec + [0.0]
            for i in range(len(mpre) - 2, -1, -1):
                mpre[i] = max(mpre[i], mpre[i + 1])
            ap = sum((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1) if mrec[i + 1] != mrec[i])
        aps[c] = ap
    return aps


def reference_abo(gt_dict, results):
    gts, preds = _dense(gt_dict, results)
    best, per_class = [], defaultdict(list)
    for img in gt_dict["images"]:
        for c, g in gts[img["id"]]:
            ious = [np.logical_and(g, p).sum() / np.logical_or(g, p).sum() for _, p, _ in preds[img["id"]]]
            b = max(ious) if ious else 0.0
            best.append(b)
            per_class[c].append(b)
    return float(np.mean(best)), float(np.mean([np.mean(v) for v in per_class.values()]))


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_voc_and_voc07_match_the_reference(seed):
    gt_dict, results = random_coco_dataset(seed, num_images=120, num_cats=6, crowd=False, area_noise=False)
    gt = load_coco_gt(gt_dict)
    preds = load_instance_predictions(results, gt)
    thrs = [0.25, 0.5, 0.7, 0.75, 0.33, 0.9]
    for protocol, use_07 in (("voc", False), ("voc07", True)):
        ours = evaluate_voc_instance(gt, preds, thrs, protocol)
        for t in thrs:
            ref = reference_voc(gt_dict, results, t, use_07)
            got = np.array([ours["per_class"][f"AP@{t:g}"][f"cat{c}"] for c in ref])
            np.testing.assert_allclose(got, np.array(list(ref.values())), rtol=0, atol=TOL, equal_nan=True)
            vals = np.array(list(ref.values()))
            assert abs(ours["metrics"][f"mAP@{t:g}"] - np.nanmean(vals)) <= TOL
    assert 0.1 < evaluate_voc_instance(gt, preds, [0.5])["metrics"]["mAP@0.5"] < 0.95


def test_abo_matches_the_reference():
    gt_dict, results = random_coco_dataset(13, num_images=100, num_cats=5, crowd=False, area_noise=False)
    gt = load_coco_gt(gt_dict)
    preds = load_instance_predictions(results, gt)
    pooled, class_mean = reference_abo(gt_dict, results)
    ours = average_best_overlap(gt, preds)["metrics"]
    assert abs(ours["ABO"] - pooled) <= TOL and abs(ours["ABO_class_mean"] - class_mean) <= TOL
    same = average_best_overlap(gt, preds, class_agnostic=False)["metrics"]
    assert same["ABO_same_class"] <= ours["ABO"] + TOL


def test_crowd_gt_takes_no_part_in_voc_protocols():
    gt_dict, results = random_coco_dataset(14, num_images=80, num_cats=4, crowd=True)
    no_crowd = dict(gt_dict, annotations=[a for a in gt_dict["annotations"] if not a["iscrowd"]])
    with_crowd = evaluate_instance(load_coco_gt(gt_dict), results, "voc", voc_style=True)
    without = evaluate_instance(load_coco_gt(no_crowd), results, "voc", voc_style=True)
    assert with_crowd["metrics"] == without["metrics"]
    assert with_crowd["num_gt_crowd"] > 0


def test_predictions_of_other_classes_are_ignored_by_a_subset():
    gt_dict, results = random_coco_dataset(15, num_images=60, num_cats=4, crowd=False)
    gt = load_coco_gt(gt_dict)
    sub = evaluate_instance(gt, results, "voc", classes=[1, 2])
    only = evaluate_instance(gt, [r for r in results if r["category_id"] in (1, 2)], "voc", classes=[1, 2])
    assert sub["metrics"] == only["metrics"] or all(
        np.isclose(sub["metrics"][k], only["metrics"][k]) for k in sub["metrics"] if "ABO" not in k)
    assert sorted(sub["per_class"]["AP@0.5"]) == ["cat1", "cat2"]
