"""Run a trained detector over the evaluation split and write a COCO results json (RLE masks).

The file (``<stage>/predictions/<split>.json``) is a json list of
``{"image_id": int, "category_id": int, "segmentation": {"size": [H, W], "counts": str}, "score": float}``
(no ``bbox``: COCOeval would take the box area for segm), so ``wsisbench eval`` can score it on its own.
Under DDP each rank predicts its share of the images and the main rank merges the parts.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from wsisbench.datasets.rle import encode_mask, json_rle
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.utils.atomic import atomic_write_json
from wsisbench.utils.progress import progress

#: images of the main rank drawn as qualitative samples for reports, and the score a mask needs to be drawn
QUALITATIVE_IMAGES = 4
QUALITATIVE_MIN_SCORE = 0.5
#: called with (image_path, boxes [N, 4] xyxy float, labels [N], scores [N]) -> masks bool [N, H, W]
MaskFn = Callable[[str, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def build_dataset(dataset_cfg: dict):
    from mmengine.registry import init_default_scope

    from wsisbench.registry import DATASETS

    init_default_scope("wsisbench")
    return DATASETS.build(dataset_cfg)


def iter_detections(model: torch.nn.Module, dataset, indices: list[int], batch_size: int,
                    desc: str = "predict", show: bool = True) -> Iterator[tuple[dict, dict]]:
    """Yield ``(data_info, prediction)`` per image, in ``indices`` order.

    ``prediction``: numpy ``bboxes`` [N, 4] xyxy in original pixels, ``scores`` [N], ``labels`` [N] (0-based)
    and, when the model predicts them, ``masks`` bool [N, H, W] at the original image size.
    """
    from mmengine.dataset import pseudo_collate

    bar = progress(total=len(indices), desc=desc, disable=not show)
    for start in range(0, len(indices), batch_size):
        chunk = indices[start:start + batch_size]
        batch = pseudo_collate([dataset[i] for i in chunk])
        with torch.no_grad():
            outputs = model.test_step(batch)
        for i, sample in zip(chunk, outputs):
            inst = sample.pred_instances
            pred = {"bboxes": inst.bboxes.detach().cpu().numpy().astype(np.float64),
                    "scores": inst.scores.detach().cpu().numpy().astype(np.float64),
                    "labels": inst.labels.detach().cpu().numpy().astype(np.int64)}
            if "masks" in inst:
                pred["masks"] = inst.masks.detach().cpu().numpy().astype(bool)
            yield dataset.get_data_info(i), pred
        bar.update(len(chunk))
    bar.close()


def records_of(info: dict, pred: dict, cat_ids: list[int]) -> list[dict]:
    """COCO results records of one image (one per predicted mask)."""
    out = []
    for mask, label, score in zip(pred["masks"], pred["labels"], pred["scores"]):
        out.append({"image_id": int(info["coco_img_id"]), "category_id": int(cat_ids[int(label)]),
                    "segmentation": json_rle(encode_mask(mask)), "score": float(score)})
    return out


def predict_to_json(ctx: RunContext, model: torch.nn.Module, dataset_cfg: dict, out_dir: Path, split: str,
                    batch_size: int = 8, mask_fn: MaskFn | None = None) -> dict:
    """Predict the dataset, write ``out_dir/predictions/<split>.json``; returns the stage summary.

    ``mask_fn`` replaces the model's masks (e.g. GrabCut inside each detected box).
    """
    dataset = build_dataset(dataset_cfg)
    indices = ctx.shard(list(range(len(dataset))))
    records: list[dict] = []
    qualitative: list[dict] = []
    start = time.perf_counter()
    for info, pred in iter_detections(model, dataset, indices, batch_size, desc=f"predict {split}",
                                      show=ctx.is_main):
        if mask_fn is not None:
            pred["masks"] = mask_fn(info["img_path"], pred["bboxes"], pred["labels"], pred["scores"])
        records += records_of(info, pred, dataset.cat_ids)
        if ctx.is_main and len(qualitative) < QUALITATIVE_IMAGES:
            qualitative.append(qualitative_sample(info, pred, out_dir))
    elapsed = time.perf_counter() - start
    write_merged_records(ctx, records, out_dir / "predictions" / f"{split}.json")
    return {"predictions": f"predictions/{split}.json", "num_predictions": len(records),
            "profile": {"sec_per_img": elapsed / max(1, len(indices))}, "qualitative": qualitative}


def qualitative_sample(info: dict, pred: dict, out_dir: Path, min_score: float = QUALITATIVE_MIN_SCORE) -> dict:
    """Paint the image's masks scoring >= ``min_score`` into a label map (0 background, class index + 1;
    higher scores on top), write ``predictions/qualitative/<image>.png`` and return a result.json
    ``qualitative`` entry; ``gt`` is the VOC-layout class map beside the image when there is one."""
    from wsisbench.datasets.png import write_label_png

    img_path = Path(info["img_path"])
    masks = pred.get("masks")
    height, width = (masks.shape[1:] if masks is not None and len(masks) else (info["height"], info["width"]))
    labels = np.zeros((height, width), np.uint8)
    if masks is not None:
        for i in np.argsort(pred["scores"], kind="stable"):  # ascending: the highest score is painted last
            if pred["scores"][i] >= min_score:
                labels[masks[i]] = int(pred["labels"][i]) + 1
    painted = write_label_png(out_dir / "predictions" / "qualitative" / f"{img_path.stem}.png", labels)
    gt = img_path.parent.parent / "SegmentationClass" / f"{img_path.stem}.png"
    return qualitative_entry(out_dir, img_path, gt if gt.exists() else None, pred=painted,
                             caption=f"masks with score >= {min_score}")


def write_merged_records(ctx, records: list[dict], path: Path) -> int:
    """Write the COCO result records of every rank to ``path`` (atomically, in rank order); each rank passes
    its own. Returns the merged count on the main rank, this rank's count elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path.with_name(f"{path.stem}.part{ctx.rank}.json"), records)
    ctx.barrier()
    total = len(records)
    if ctx.is_main:
        merged = []
        for r in range(ctx.world_size):
            part = path.with_name(f"{path.stem}.part{r}.json")
            merged += json.loads(part.read_text())
            part.unlink()
        atomic_write_json(path, merged)
        total = len(merged)
    ctx.barrier()
    return total
