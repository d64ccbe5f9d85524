"""Semantic metrics: definitions by hand, out-of-range policies, merging, BaseMetric wrapper."""
from __future__ import annotations

import math

import numpy as np
import pytest

from wsisbench.errors import DataError
from wsisbench.evaluation.semantic import SemanticConfusion


def reference(gts, preds, C, ignore=255, policy="error"):
    """Straightforward per-pixel counting (np.add.at) with mmseg's histogram rule for 'ignore'."""
    n = np.zeros((C, C), dtype=np.int64)
    missed = np.zeros(C, dtype=np.int64)
    for g, p in zip(gts, preds):
        g = g.ravel().astype(np.int64)
        p = p.ravel().astype(np.int64)
        keep = g != ignore
        g, p = g[keep], p[keep]
        out = (p < 0) | (p >= C)
        if policy == "background":
            p = np.where(out, 0, p)
            out = np.zeros_like(out)
        np.add.at(n, (g[~out], p[~out]), 1)
        np.add.at(missed, g[out], 1)
    rows = n.sum(1) + missed
    tp = np.diag(n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / (rows + n.sum(0) - tp)
        acc = tp / rows
    return n, iou, acc, tp.sum() / rows.sum()


def test_hand_computed_example():
    gt = np.array([[0, 0, 1, 1], [0, 255, 1, 2]])
    pred = np.array([[0, 1, 1, 1], [0, 0, 2, 3]])
    cm = SemanticConfusion(num_classes=4, out_of_range="error")
    cm.update(gt, pred)
    np.testing.assert_array_equal(cm.matrix, [[2, 1, 0, 0], [0, 2, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    m = cm.compute()
    # IoU: bg 2/(3+2-2)=2/3, c1 2/(3+3-2)=1/2, c2 0/(1+1-0)=0, c3 predicted but absent from GT -> 0
    np.testing.assert_allclose(m["IoU"], [2 / 3, 0.5, 0.0, 0.0])
    assert m["mIoU"] == pytest.approx((2 / 3 + 0.5) / 4)
    assert math.isnan(m["Acc"][3]) and m["mAcc"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    assert m["mAcc_nan0"] == pytest.approx((2 / 3 + 2 / 3) / 4)
    assert m["aAcc"] == pytest.approx(4 / 7) and m["num_pixels"] == 7


def test_class_absent_from_both_is_nan_and_nan0_counts_it_as_zero():
    cm = SemanticConfusion(num_classes=3)
    cm.update(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8))
    m = cm.compute()
    assert m["IoU"][0] == 1.0 and math.isnan(m["IoU"][1]) and math.isnan(m["IoU"][2])
    assert m["mIoU"] == 1.0 and m["mIoU_nan0"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("C,dtype", [(21, np.uint8), (201, np.uint8), (21, np.int64), (300, np.int32)])
@pytest.mark.parametrize("policy", ["background", "ignore"])
def test_random_against_reference(C, dtype, policy):
    rng = np.random.default_rng(C)
    gts, preds = [], []
    for _ in range(6):
        h, w = rng.integers(5, 40, 2)
        g = rng.integers(0, C, (h, w)).astype(dtype)
        g[rng.random((h, w)) < 0.1] = 255 if C < 255 else 255  # void (a valid class when C > 255? no: see below)
        p = rng.integers(0, C, (h, w)).astype(dtype)
        p[rng.random((h, w)) < 0.05] = 255 if C <= 255 else C + 3  # out of range
        gts.append(g)
        preds.append(p)
    ignore = 255 if C <= 255 else None
    if ignore is None:
        gts = [np.where(g == 255, 0, g) for g in gts]
    cm = SemanticConfusion(C, ignore_index=ignore, out_of_range=policy)
    for g, p in zip(gts, preds):
        cm.update(g, p)
    n, iou, acc, aacc = reference(gts, preds, C, ignore=-999 if ignore is None else ignore, policy=policy)
    np.testing.assert_array_equal(cm.matrix, n)
    m = cm.compute()
    np.testing.assert_allclose(m["IoU"], iou, rtol=0, atol=1e-15)
    np.testing.assert_allclose(m["Acc"], acc, rtol=0, atol=1e-15)
    assert m["aAcc"] == pytest.approx(aacc, abs=1e-15)
    assert m["mIoU"] == pytest.approx(np.nanmean(iou), abs=1e-15)


def test_ignore_policy_is_mmseg_histogram_rule():
    gt = np.array([[1, 1, 1, 0]])
    pred = np.array([[1, 255, 255, 0]])
    cm = SemanticConfusion(2, out_of_range="ignore")
    cm.update(gt, pred)
    m = cm.compute()
    # class 1: area_label 3, area_pred 1, intersect 1 -> IoU 1/3; pixel accuracy 2/4
    assert m["IoU"][1] == pytest.approx(1 / 3) and m["aAcc"] == 0.5
    np.testing.assert_array_equal(cm.unassigned, [0, 2])
    bg = SemanticConfusion(2, out_of_range="background")
    bg.update(gt, pred)
    np.testing.assert_array_equal(bg.matrix, [[1, 0], [2, 1]])


def test_error_policy_names_the_image_and_values():
    cm = SemanticConfusion(21, out_of_range="error")
    with pytest.raises(DataError, match=r"'img7'.*21"):
        cm.update(np.zeros((3, 3), np.uint8), np.full((3, 3), 21, np.uint8), name="img7")
    with pytest.raises(DataError, match="255"):  # void GT pixels do not excuse an out-of-range prediction
        cm.update(np.full((2, 2), 255, np.uint8), np.full((2, 2), 255, np.uint8), name="x")
    with pytest.raises(DataError, match="-1"):
        cm.update(np.zeros((2, 2), np.int64), np.full((2, 2), -1, np.int64), name="x")
    assert cm.num_images == 0 and cm.matrix.sum() == 0


def test_bad_ground_truth_and_shapes():
    cm = SemanticConfusion(21)
    with pytest.raises(DataError, match="ground truth holds value"):
        cm.update(np.full((2, 2), 30, np.uint8), np.zeros((2, 2), np.uint8), name="a")
    with pytest.raises(DataError, match="differs"):
        cm.update(np.zeros((2, 2), np.uint8), np.zeros((2, 3), np.uint8), name="a")
    with pytest.raises(DataError, match="RGB"):
        cm.update(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3), np.uint8), name="a")
    with pytest.raises(DataError, match="integer"):
        cm.update(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.uint8), name="a")
    with pytest.raises(ValueError):
        SemanticConfusion(21, ignore_index=3)


def test_merge_equals_single_pass_and_state_round_trips():
    rng = np.random.default_rng(0)
    data = [(rng.integers(0, 21, (9, 11)).astype(np.uint8), rng.integers(0, 21, (9, 11))) for _ in range(8)]
    one = SemanticConfusion(21)
    for g, p in data:
        one.update(g, p)
    a, b = SemanticConfusion(21), SemanticConfusion(21)
    for i, (g, p) in enumerate(data):
        (a if i % 2 else b).update(g, p)
    a.merge(b)
    np.testing.assert_array_equal(a.matrix, one.matrix)
    c = SemanticConfusion(21).merge(one.state())
    assert c.compute() == one.compute() and c.num_images == 8
    with pytest.raises(ValueError):
        a.merge(SemanticConfusion(22))


def test_memory_is_independent_of_the_number_of_images():
    cm = SemanticConfusion(201)
    g = np.zeros((50, 50), np.uint8)
    for _ in range(200):
        cm.update(g, g)
    assert cm._joint.nbytes + cm._extra.nbytes == (65536 + 201 * 202) * 8 and cm.num_images == 200


def test_base_metric_wrapper_and_rank_merge():
    import torch
    from mmengine.structures import PixelData

    from wsisbench.registry import METRICS

    rng = np.random.default_rng(1)
    data = [(rng.integers(0, 21, (6, 7)), rng.integers(0, 21, (6, 7))) for _ in range(5)]
    ref = SemanticConfusion(21, class_names=[f"c{i}" for i in range(21)])
    for g, p in data:
        ref.update(g, p)
    metric = METRICS.build(dict(type="SemanticSegMetric", num_classes=21, per_class=True,
                                class_names=[f"c{i}" for i in range(21)]))
    # three styles of data samples: mmseg PixelData(data=), mmdet dict(sem_seg=) tensors, plain arrays
    samples = [
        {"gt_sem_seg": PixelData(data=torch.from_numpy(data[0][0][None])),
         "pred_sem_seg": PixelData(data=torch.from_numpy(data[0][1][None]))},
        {"gt_sem_seg": {"sem_seg": torch.from_numpy(data[1][0][None])}, "pred_sem_seg": {"sem_seg": data[1][1]}},
        {"gt_sem_seg": data[2][0], "pred_sem_seg": data[2][1], "img_path": "x.jpg"},
    ]
    metric.process(None, samples)
    metric.process(None, [{"gt_sem_seg": g, "pred_sem_seg": p} for g, p in data[3:]])
    # what mmengine's collect_results hands over under DDP: every rank's results, concatenated
    out = metric.compute_metrics(list(metric.results))
    expected = ref.compute()
    assert out["mIoU"] == expected["mIoU"] and out["aAcc"] == expected["aAcc"]
    assert out["IoU/c3"] == expected["IoU"][3] or (math.isnan(out["IoU/c3"]) and math.isnan(expected["IoU"][3]))
    with pytest.raises(DataError, match="pred_sem_seg"):
        metric.process(None, [{"gt_sem_seg": data[0][0]}])


@pytest.mark.parametrize("block", [1, 3, 25])
def test_run_counting_equals_pixel_counting(block):
    """Piecewise-constant maps take the run-length path; its counts must equal the per-pixel ones."""
    from wsisbench.evaluation.semantic import _change_density, _joint_histogram

    rng = np.random.default_rng(block)
    for _ in range(20):
        h, w = (int(v) for v in rng.integers(64, 200, 2))
        cells = rng.integers(0, 256, (h // block + 1, w // block + 1))
        g = np.kron(cells, np.ones((block, block), np.int64))[:h, :w].astype(np.uint8)
        noise = rng.random((h, w)) < 0.003
        p = np.where(noise, rng.integers(0, 256, (h, w)), np.roll(g, 2, 1)).astype(np.uint8)
        expected = np.bincount(g.astype(np.intp).ravel() * 256 + p.ravel(), minlength=65536)
        np.testing.assert_array_equal(_joint_histogram(g, p), expected)
        if block == 25:
            assert _change_density(g, p) < 0.15  # the run path was taken


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64, np.uint16])
def test_wide_integer_predictions_outside_0_255_under_each_policy(dtype):
    """Predictions far outside [0, 255] (wide integer label maps): hand-computed confusions per policy."""
    gt = np.array([[0, 1, 1, 2, 255]], dtype=np.uint8)
    big = 300 if dtype == np.int16 else 70000 if np.iinfo(dtype).max >= 70000 else 1000
    neg = -1 if np.issubdtype(dtype, np.signedinteger) else 2
    pred = np.array([[1, big, 1, neg, big]], dtype=dtype)
    with pytest.raises(DataError, match=rf"out-of-range value\(s\).*{big}"):
        SemanticConfusion(3, 255, "error").update(gt, pred)
    # background: out-of-range predictions count as class 0; the void pixel stays out
    bg = SemanticConfusion(3, 255, "background")
    bg.update(gt, pred)
    expected = np.zeros((3, 3), np.int64)
    expected[0, 1] += 1                                  # gt 0 -> pred 1
    expected[1, 0] += 1                                  # gt 1 -> 300/70000 -> background
    expected[1, 1] += 1                                  # gt 1 -> pred 1
    expected[2, 0 if neg == -1 else 2] += 1              # gt 2 -> -1 -> background (or a valid 2)
    np.testing.assert_array_equal(bg.matrix, expected)
    # ignore: out-of-range predictions leave the prediction histogram but their ground truth is counted
    ig = SemanticConfusion(3, 255, "ignore")
    ig.update(gt, pred)
    m = ig.compute()
    iou1 = 1 / (2 + 2 - 1)  # class 1: tp 1, gt row 2 (one pixel predicted out of range), predicted column 2
    assert m["IoU"][1] == pytest.approx(iou1)
    assert m["num_pixels"] == 4 and m["aAcc"] == pytest.approx(1 / 4 if neg == -1 else 2 / 4)


@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_ground_truth_above_255_is_an_error_naming_the_value(dtype):
    gt = np.array([[0, 1, 300]], dtype=dtype)
    pred = np.zeros((1, 3), np.uint8)
    for policy in ("error", "background", "ignore"):
        with pytest.raises(DataError, match=r"ground truth holds value\(s\) 300"):
            SemanticConfusion(3, 255, policy).update(gt, pred, name="x.png")
