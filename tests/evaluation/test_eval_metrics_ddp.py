"""The evaluators as mmengine metrics, in one process and gathered across two DDP processes (gloo).

23 images on 2 ranks: the sampler pads one duplicate, which mmengine's collection must drop.
"""
from __future__ import annotations

import os
import socket

import numpy as np
import pytest
from evalhelpers import decode, random_coco_dataset

NAMES = ["cat1", "cat2", "cat3", "cat4"]


def _samples(seed: int = 30):
    """mmdet-style data samples (dicts) with predicted and GT masks, plus the same data as COCO dicts."""
    import torch

    gt_dict, results = random_coco_dataset(seed, num_images=23, num_cats=4, crowd=False)
    samples = []
    for img in gt_dict["images"]:
        h, w = img["height"], img["width"]
        anns = [a for a in gt_dict["annotations"] if a["image_id"] == img["id"]]
        dets = [r for r in results if r["image_id"] == img["id"]]

        def stack(ms, h=h, w=w):
            return torch.from_numpy(np.stack(ms)) if ms else torch.zeros((0, h, w), dtype=torch.bool)

        samples.append({
            "img_id": img["id"], "img_path": img["file_name"], "ori_shape": (h, w),
            "pred_instances": {"masks": stack([decode(r["segmentation"]) for r in dets]),
                               "labels": torch.tensor([r["category_id"] - 1 for r in dets], dtype=torch.long),
                               "scores": torch.tensor([r["score"] for r in dets], dtype=torch.float64)},
            "gt_instances": {"masks": stack([decode(a["segmentation"]) for a in anns]),
                             "labels": torch.tensor([a["category_id"] - 1 for a in anns], dtype=torch.long)},
            "gt_sem_seg": np.zeros((h, w), np.uint8) + (img["id"] % 3),
            "pred_sem_seg": (np.arange(h * w).reshape(h, w) % 3).astype(np.uint8),
        })
    return gt_dict, results, samples


def _metrics():
    import wsisbench.evaluation  # noqa: F401  (registers the metrics)
    from wsisbench.registry import METRICS

    return [METRICS.build(dict(type="InstanceSegMetric", protocol="voc", class_names=NAMES)),
            METRICS.build(dict(type="InstanceSegMetric", protocol="coco", class_names=NAMES,
                               iou_thrs=[0.5, 0.75])),
            METRICS.build(dict(type="SemanticSegMetric", num_classes=3))]


def _run(samples, world: int = 1, rank: int = 0) -> list[dict]:
    out = []
    for metric in _metrics():
        metric.dataset_meta = {"classes": NAMES}
        # DistributedSampler: pad to a multiple of the world size with the first samples, interleave
        order = list(range(len(samples)))
        order += order[: (-len(order)) % world]
        for i in order[rank::world]:
            metric.process(None, [samples[i]])
        out.append(metric.evaluate(len(samples)))
    return out


def test_instance_metric_equals_the_api():
    from wsisbench.evaluation.api import evaluate_instance
    from wsisbench.evaluation.ground_truth import load_coco_gt

    gt_dict, results, samples = _samples()
    voc, coco, sem = _run(samples)
    gt = load_coco_gt(gt_dict)
    ref_voc = evaluate_instance(gt, results, "voc", voc_style=True)["metrics"]
    ref_coco = evaluate_instance(gt, results, "coco", iou_thrs=[0.5, 0.75], voc_style=True)["metrics"]
    assert voc == {f"ins/{k}": v for k, v in ref_voc.items()}
    assert {k: v for k, v in coco.items() if v == v} == {f"ins/{k}": v for k, v in ref_coco.items() if v == v}
    assert set(sem) == {"sem/mIoU", "sem/mIoU_nan0", "sem/mAcc", "sem/mAcc_nan0", "sem/aAcc"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, queue) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        _, _, samples = _samples()
        result = _run(samples, world, rank)
        if rank == 0:
            queue.put(result)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_two_processes_equal_one():
    import torch.multiprocessing as mp

    _, _, samples = _samples()
    single = _run(samples)
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    mp.start_processes(_worker, args=(2, _free_port(), queue), nprocs=2, join=True, start_method="spawn")
    gathered = queue.get()
    for a, b in zip(single, gathered):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]), k


def test_instance_metric_with_ann_file_and_raw_instances():
    """``ann_file`` ground truth (coco_mini), labels mapped by class name; and mmdet's raw ``instances``."""
    import json

    from evalhelpers import SHARED_DATA

    from wsisbench.registry import METRICS

    ann_file = SHARED_DATA / "coco_mini" / "annotations" / "instances_val2017.json"
    if not ann_file.is_file():
        pytest.skip("shared data not available")
    coco = json.loads(ann_file.read_text())
    names = [c["name"] for c in coco["categories"]]
    label = {c["id"]: i for i, c in enumerate(coco["categories"])}
    samples = []
    for img in coco["images"][:20]:
        anns = [a for a in coco["annotations"] if a["image_id"] == img["id"] and not a["iscrowd"]]
        samples.append({"img_id": img["id"], "ori_shape": (img["height"], img["width"]),
                        "pred_instances": {"masks": [a["segmentation"] for a in anns],
                                           "labels": np.array([label[a["category_id"]] for a in anns]),
                                           "scores": np.linspace(1, 0.5, len(anns))},
                        "instances": [{"mask": a["segmentation"], "bbox_label": label[a["category_id"]],
                                       "ignore_flag": 0} for a in anns]})
    for kwargs in ({"ann_file": str(ann_file), "protocol": "coco"}, {"protocol": "voc"}):
        metric = METRICS.build(dict(type="InstanceSegMetric", class_names=names, **kwargs))
        metric.process(None, samples)
        out = metric.compute_metrics(metric.results)
        if "ann_file" in kwargs:  # the other 59 images have GT and no predictions
            from wsisbench.evaluation.api import evaluate_instance

            records = [{"image_id": s["img_id"], "category_id": coco["categories"][int(c)]["id"],
                        "segmentation": m, "score": float(v)} for s in samples
                       for m, c, v in zip(*(s["pred_instances"][k] for k in ("masks", "labels", "scores")))]
            ref = evaluate_instance(str(ann_file), records, "coco")["metrics"]
            assert 0 < out["AP"] < 1 and out["AP"] == ref["AP"] and out["AR100"] == ref["AR100"]
        else:
            assert out["mAP@0.5"] == 1.0 and out["ABO"] == 1.0
