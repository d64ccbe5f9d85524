"""Speed of the common evaluator, all from one run on the same synthetic data.

1. COCO mask AP (protocol ``coco``): ours vs pycocotools vs faster-coco-eval, from the same in-memory
   ground-truth dict and results list (each side parses, checks what it checks, evaluates, accumulates and
   summarizes); the 12 stats are compared too.
2. Protocol ``voc`` on a VOC-val-sized set (1,449 images, 20 classes, 100 predictions per image, four IoU
   thresholds) and its ratio to a dense-numpy IoU implementation (chainercv style) on a subset of images.
3. Semantic metrics on an LID-sized set (5,000 images, 201 classes, about 0.2 megapixels each) in
   megapixels per second, for object-like label maps and for per-pixel noise (the worst case), with the
   resident memory after each fifth of the images (flat: the state is a fixed-size histogram).

    .venv/bin/python benchmarks/eval_speed.py            # full sizes (a few minutes on 2 cores)
    .venv/bin/python benchmarks/eval_speed.py --quick    # small smoke version
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pycocotools import mask as mask_utils  # noqa: E402

from wsisbench.evaluation.coco_mask import evaluate_coco_segm  # noqa: E402
from wsisbench.evaluation.ground_truth import InstanceGroundTruth, load_coco_gt  # noqa: E402
from wsisbench.evaluation.predictions import InstancePredictions, load_instance_predictions  # noqa: E402
from wsisbench.evaluation.profiling import current_rss_mib  # noqa: E402
from wsisbench.evaluation.semantic import SemanticConfusion  # noqa: E402
from wsisbench.evaluation.voc_instance import evaluate_voc_instance  # noqa: E402


# ----------------------------------------------------------------------------- synthetic instances
def _polygon(rng, h, w, cy=None, cx=None, scale=None):
    """A jittered ellipse polygon (flat [x0, y0, x1, y1, ...]) inside an h x w image."""
    cy = rng.uniform(0.1, 0.9) * h if cy is None else cy
    cx = rng.uniform(0.1, 0.9) * w if cx is None else cx
    s = rng.uniform(0.05, 0.35) if scale is None else scale
    ry, rx = s * h * rng.uniform(0.6, 1.4), s * w * rng.uniform(0.6, 1.4)
    t = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    r = rng.uniform(0.8, 1.2, t.size)
    xs = np.clip(cx + rx * r * np.cos(t), 0, w - 1)
    ys = np.clip(cy + ry * r * np.sin(t), 0, h - 1)
    return np.stack([xs, ys], 1).ravel().tolist()


def _rle(poly, h, w):
    rle = mask_utils.merge(mask_utils.frPyObjects([poly], h, w))
    return rle


def synthetic_instances(seed, num_images, num_cats, preds_per_image, size=(375, 500), gt_range=(1, 5)):
    """(gt_dict with str-count RLEs, results list) with perturbed-GT and random predictions."""
    rng = np.random.default_rng(seed)
    h, w = size
    images, anns, results = [], [], []
    for i in range(num_images):
        img_id = i + 1
        images.append({"id": img_id, "height": h, "width": w, "file_name": f"{img_id:06d}.jpg"})
        objs = []
        for _ in range(int(rng.integers(*gt_range))):
            cy, cx, s = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w, rng.uniform(0.05, 0.3)
            cat = int(rng.integers(1, num_cats + 1))
            rle = _rle(_polygon(rng, h, w, cy, cx, s), h, w)
            area = float(mask_utils.area(rle))
            rle["counts"] = rle["counts"].decode()
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": cat, "segmentation": rle,
                         "area": area, "iscrowd": 0, "bbox": [0, 0, 1, 1]})
            objs.append((cy, cx, s, cat))
        for k in range(preds_per_image):
            if objs and k < 4 * len(objs):
                cy, cx, s, cat = objs[k % len(objs)]
                poly = _polygon(rng, h, w, cy + rng.normal(0, 8), cx + rng.normal(0, 8), s * rng.uniform(0.8, 1.2))
                if rng.random() < 0.2:
                    cat = int(rng.integers(1, num_cats + 1))
            else:
                poly, cat = _polygon(rng, h, w), int(rng.integers(1, num_cats + 1))
            rle = _rle(poly, h, w)
            rle["counts"] = rle["counts"].decode()
            results.append({"image_id": img_id, "category_id": cat, "segmentation": rle,
                            "score": float(rng.random())})
    cats = [{"id": c, "name": f"class{c}"} for c in range(1, num_cats + 1)]
    return {"images": images, "annotations": anns, "categories": cats}, results


def _timed(fn, repeat=1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


# ----------------------------------------------------------------------------- 1. COCO
def bench_coco(num_images, preds_per_image, repeat):
    gt_dict, results = synthetic_instances(1, num_images, 80, preds_per_image, size=(480, 640), gt_range=(2, 12))
    print(f"\n[1] COCO mask AP: {num_images} images, 80 categories, {len(gt_dict['annotations'])} GT, "
          f"{len(results)} predictions (480 x 640)")

    def ours():
        gt = load_coco_gt(gt_dict)
        preds = load_instance_predictions(results, gt)
        return np.array(evaluate_coco_segm(gt, preds)["stats"])

    def pycoco():
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        with contextlib.redirect_stdout(io.StringIO()):
            g = COCO()
            g.dataset = copy.deepcopy(gt_dict)
            g.createIndex()
            d = g.loadRes(copy.deepcopy(results))
            e = COCOeval(g, d, "segm")
            e.evaluate()
            e.accumulate()
            e.summarize()
        return np.array(e.stats)

    def faster():
        from faster_coco_eval import COCO, COCOeval_faster

        with contextlib.redirect_stdout(io.StringIO()):
            g = COCO(copy.deepcopy(gt_dict))
            d = g.loadRes(copy.deepcopy(results))
            e = COCOeval_faster(g, d, "segm", print_function=lambda *a, **k: None)
            e.evaluate()
            e.accumulate()
            e.summarize()
        return np.array(e.stats[:12])

    # deep copies are part of the reference runs (they mutate their inputs); time them apart.
    # ours and faster-coco-eval alternate `repeat` times (best of each), so load changes hit both alike
    t_copy, _ = _timed(lambda: (copy.deepcopy(gt_dict), copy.deepcopy(results)), repeat)
    t_ours = t_fast = float("inf")
    for _ in range(repeat):
        t, s_ours = _timed(ours)
        t_ours = min(t_ours, t)
        t, s_fast = _timed(faster)
        t_fast = min(t_fast, t)
    t_py, s_py = _timed(pycoco, 1)
    print(f"    ours (check + faster-coco-eval core) {t_ours:7.2f} s   (best of {repeat}, alternating)")
    print(f"    faster-coco-eval 1.8.0               {t_fast - t_copy:7.2f} s   (+{t_copy:.2f} s input copies; "
          f"best of {repeat})")
    print(f"    pycocotools 2.0.11                   {t_py - t_copy:7.2f} s   (+{t_copy:.2f} s input copies)")
    print(f"    max |stats difference| ours vs pycocotools {np.max(np.abs(s_ours - s_py)):.1e}, "
          f"faster vs pycocotools {np.max(np.abs(s_fast - s_py)):.1e};  AP = {s_ours[0]:.4f}")
    return {"coco_ours_s": t_ours, "coco_faster_s": t_fast - t_copy, "coco_pycocotools_s": t_py - t_copy}


# ----------------------------------------------------------------------------- 2. VOC
def dense_voc_ious(gt: InstanceGroundTruth, preds: InstancePredictions, image_ids) -> int:
    """The dense way: decode every mask to H x W and take IoUs as float matrix products per image/class."""
    pairs = 0
    for img_id in image_ids:
        g_idx = np.flatnonzero(gt.image_ids == img_id)
        p_idx = np.flatnonzero(preds.image_ids == img_id)
        for c in np.unique(preds.category_ids[p_idx]):
            gc = g_idx[gt.category_ids[g_idx] == c]
            pc = p_idx[preds.category_ids[p_idx] == c]
            if gc.size == 0:
                continue
            G = mask_utils.decode([gt.rles[i] for i in gc]).reshape(-1, gc.size).astype(np.float32)
            P = mask_utils.decode([preds.rles[i] for i in pc]).reshape(-1, pc.size).astype(np.float32)
            inter = P.T @ G
            union = P.sum(0)[:, None] + G.sum(0)[None, :] - inter
            iou = (inter / union).astype(np.float32)
            iou.argmax(axis=1)
            pairs += iou.size
    return pairs


def bench_voc(num_images, preds_per_image, dense_images):
    gt_dict, results = synthetic_instances(2, num_images, 20, preds_per_image)
    print(f"\n[2] protocol voc: {num_images} images, 20 classes, {len(gt_dict['annotations'])} GT, "
          f"{len(results)} predictions (375 x 500), IoU 0.25/0.5/0.7/0.75")
    t_load, (gt, preds) = _timed(lambda: (lambda g: (g, load_instance_predictions(results, g)))(load_coco_gt(gt_dict)))
    t_eval, out = _timed(lambda: evaluate_voc_instance(gt, preds))
    print(f"    load + check ground truth and predictions {t_load:7.2f} s")
    print(f"    match + AP (4 thresholds)                 {t_eval:7.2f} s   -> total {t_load + t_eval:.2f} s; "
          f"mAP@0.5 = {out['metrics']['mAP@0.5']:.4f}")
    # the same images through both IoU paths
    sub_ids = [im.id for im in gt.images[:dense_images]]
    keep_g = np.isin(gt.image_ids, sub_ids)
    keep_p = np.isin(preds.image_ids, sub_ids)
    sub_gt = InstanceGroundTruth([im for im in gt.images if im.id in set(sub_ids)], gt.categories,
                                 gt.image_ids[keep_g], gt.category_ids[keep_g],
                                 [r for r, k in zip(gt.rles, keep_g) if k], gt.areas[keep_g], gt.iscrowd[keep_g])
    sub_p = InstancePredictions(preds.image_ids[keep_p], preds.category_ids[keep_p], preds.scores[keep_p],
                                [r for r, k in zip(preds.rles, keep_p) if k], preds.areas[keep_p])
    t_sub, _ = _timed(lambda: evaluate_voc_instance(sub_gt, sub_p), 2)
    t_dense, _ = _timed(lambda: dense_voc_ious(sub_gt, sub_p, sub_ids))
    print(f"    on the first {dense_images} images: ours (whole protocol) {t_sub:.3f} s, dense numpy IoUs alone "
          f"{t_dense:.3f} s  -> {t_dense / t_sub:.1f}x faster")
    return {"voc_load_s": t_load, "voc_eval_s": t_eval, "voc_dense_ratio": t_dense / t_sub}


# ----------------------------------------------------------------------------- 3. semantic
def _label_maps(rng, num_classes, smooth):
    """One LID-like (gt, pred) pair of about 400 x 450 px.

    smooth: background with 1-4 elliptical objects and a 2 px void band (255) on their outlines; the
    prediction shifts the objects by a few pixels, gives some a wrong class and flips 0.5% of the pixels.
    Otherwise (the worst case for run counting): independent random classes at every pixel.
    """
    h, w = int(rng.integers(330, 500)), int(rng.integers(400, 500))
    if not smooth:
        gt = rng.integers(0, num_classes, (h, w)).astype(np.uint8)
        gt[rng.random((h, w)) < 0.05] = 255
        return gt, rng.integers(0, num_classes, (h, w)).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    gt = np.zeros((h, w), np.uint8)
    pred = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 5))):
        cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
        ry, rx = rng.uniform(0.1, 0.35) * h, rng.uniform(0.1, 0.35) * w
        c = int(rng.integers(1, num_classes))
        d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        gt[d <= 1] = c
        gt[np.abs(np.sqrt(d) - 1) * min(ry, rx) < 1] = 255
        dy, dx = rng.normal(0, 4, 2)
        dp = ((yy - cy - dy) / ry) ** 2 + ((xx - cx - dx) / rx) ** 2
        pred[dp <= rng.uniform(0.8, 1.2)] = c if rng.random() < 0.8 else int(rng.integers(1, num_classes))
    flip = rng.random((h, w)) < 0.005
    pred[flip] = rng.integers(0, num_classes, int(flip.sum()))
    return gt, pred


def bench_semantic(num_images, pool=16, num_classes=201):
    rng = np.random.default_rng(3)
    figures = {}
    for smooth in (True, False):
        maps = [_label_maps(rng, num_classes, smooth) for _ in range(pool)]  # cycled: generation is not timed
        cm = SemanticConfusion(num_classes)
        rss = [current_rss_mib()]
        pixels = 0
        start = time.perf_counter()
        for i in range(num_images):
            gt, pred = maps[i % pool]
            cm.update(gt, pred)
            pixels += gt.size
            if (i + 1) % max(1, num_images // 5) == 0:
                rss.append(current_rss_mib())
        elapsed = time.perf_counter() - start
        m = cm.compute()
        mps = pixels / elapsed / 1e6
        kind = "object-like maps" if smooth else "per-pixel noise (worst case)"
        print(f"\n[3] semantic, {kind}: {num_images} images, {num_classes} classes, {pixels / 1e6:.0f} megapixels "
              f"in {elapsed:.2f} s = {mps:.0f} MP/s; mIoU {m['mIoU']:.4f}")
        print("    resident memory (MiB) at 0, 1/5, ..., 5/5 of the images: "
              + ", ".join(f"{r:.0f}" for r in rss)
              + f"  (state: {(cm._joint.nbytes + cm._extra.nbytes) / 1024:.0f} KiB)")
        key = "smooth" if smooth else "noise"
        figures[f"semantic_{key}_mp_per_s"] = mps
        figures[f"semantic_{key}_rss_growth_mib"] = rss[-1] - rss[1] if len(rss) > 1 else 0.0
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        figures = {**bench_coco(40, 20, 2), **bench_voc(60, 100, 20), **bench_semantic(300)}
    else:
        figures = {**bench_coco(500, 40, 3), **bench_voc(1449, 100, 100), **bench_semantic(5000)}
    print("\nsummary:", ", ".join(f"{k}={v:.3g}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
