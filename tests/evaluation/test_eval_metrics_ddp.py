"""The evaluators as mmengine metrics, in one process and gathered across two DDP processes (gloo)."""
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

    gt_dict, results = random_coco_dataset(seed, num_images=24, num_cats=4, crowd=False)
    samples = []
    for img in gt_dict["images"]:
        h, w = img["height"], img["width"]
        anns = [a for a in gt_dict["annotations"] if a["image_id"] == img["id"]]
        dets = [r for r in results if r["image_id"] == img["id"]]
        stack = lambda ms: torch.from_numpy(np.stack(ms)) if ms else torch.zeros((0, h, w), dtype=torch.bool)
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
    from wsisbench.registry import METRICS

    import wsisbench.evaluation  # noqa: F401  (registers the metrics)

    return [METRICS.build(dict(type="InstanceSegMetric", protocol="voc", class_names=NAMES)),
            METRICS.build(dict(type="InstanceSegMetric", protocol="coco", class_names=NAMES,
                               iou_thrs=[0.5, 0.75])),
            METRICS.build(dict(type="SemanticSegMetric", num_classes=3))]


def _run(samples, world: int = 1, rank: int = 0) -> list[dict]:
    out = []
    for metric in _metrics():
        metric.dataset_meta = {"classes": NAMES}
        for i in range(rank, len(samples), world):  # DistributedSampler-like interleaving
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
