"""Deep Community Learning's stages (see ``method.py`` for their order and inputs).

Each takes ``(ctx, out_dir)``, writes its artifacts into ``out_dir`` and returns its result.json summary.
Per-image work goes through ``ctx.shard``; per-rank prediction parts are merged on the main rank.
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

import mmcv
import numpy as np
import torch
import torch.nn.functional as F

from wsisbench.detection.prediction import write_merged_records
from wsisbench.errors import WsisbenchError
from wsisbench.models.inputs import model_input
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.preflight import apply_pretrained, pretrained_for
from wsisbench.pipeline.stage import training_share
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner
from wsisbench.proposals.source import ProposalSource, masks_to_boxes
from wsisbench.utils.progress import progress

from .cam_levels import box_masks, box_pixel_range
from .data import save_boxes
from .segmentation import segmentation_masks

PROPOSALS_DIR = "proposals"
BOXES_NAME = "boxes.npz"
PREDICTIONS = "predictions/val.json"
PROPOSALS_PURPOSE = "detector proposals and mask post-processing (Deep Community Learning uses MCG)"
EMPTY_MASK_RULES = ("box", "drop")
#: What makes a detection's mask: the fused CAM in its box (the IMG module's), or the IS module's probabilities.
MASK_SOURCES = ("cam", "segmentation")


# ----------------------------------------------------------------------------- networks
def network_cfg(ctx: RunContext, for_loading: bool = False) -> dict:
    """``cfg.model`` with C classes and, when training, the run's ImageNet checkpoint on the backbone and (for
    a ResNet res5 stage) on the detector's res5."""
    model = copy.deepcopy(ctx.cfg.model.to_dict())
    model["num_classes"] = len(ctx.class_names())
    if for_loading:
        return model
    apply_pretrained(model, ctx.cfg)
    head = model["detector"].get("shared_head")
    if head is not None and pretrained_for(ctx.cfg):
        apply_pretrained(model["detector"], ctx.cfg, submodule="shared_head")
    return model


def mask_source(cfg) -> str:
    """``masks.source`` of a config, checked: ``'cam'`` (default) or ``'segmentation'``, which needs the
    instance segmentation module (``model.segmentation``)."""
    source = cfg.get("masks", {}).get("source", "cam")
    if source not in MASK_SOURCES:
        raise WsisbenchError(f"masks.source must be one of {MASK_SOURCES}, got {source!r}")
    if source == "segmentation" and cfg.model.get("segmentation") is None:
        raise WsisbenchError("masks.source='segmentation' needs the instance segmentation module "
                             "(model.segmentation), which this preset's network does not build: use a preset that "
                             "sets it (mechanism_segmentation, voc2012_segmentation) or masks.source='cam'")
    return source


def proposal_source(ctx: RunContext, cache_root: Path) -> ProposalSource:
    return ProposalSource(ctx.cfg, cache_root, PROPOSALS_PURPOSE)


# ----------------------------------------------------------------------------- proposals
def _split_proposals(ctx: RunContext, out_dir: Path, split: str, with_boxes: bool) -> dict:
    samples = ctx.split_samples(split)
    source = proposal_source(ctx, out_dir / PROPOSALS_DIR)
    summary = source.prepare(samples, split, ctx.shard, ctx.is_main)
    ctx.barrier()
    if with_boxes and ctx.is_main:   # the detector's boxes, one file for the training pipeline
        boxes = {}
        for s in progress(samples, desc=f"proposal boxes {split}", disable=not ctx.is_main):
            boxes[s["img_id"]] = masks_to_boxes(source.masks(s, (s["height"], s["width"])))
        save_boxes(out_dir / BOXES_NAME, boxes)
    ctx.barrier()
    sec = summary.pop("sec_per_img", None)
    return {"proposals": {f"{split}_{k}": v for k, v in summary.items()},
            **({"profile": {f"proposals_{split}_sec_per_img": sec}} if sec is not None else {})}


def proposals_train(ctx: RunContext, out_dir: Path) -> dict:
    """Mask proposals of the train split (cached) and their boxes (``boxes.npz``) for the detector."""
    return _split_proposals(ctx, out_dir, ctx.cfg.benchmark.train_split, with_boxes=True)


def proposals_val(ctx: RunContext, out_dir: Path) -> dict:
    """Mask proposals of the val split (cached): the detector's boxes and the post-processing's masks."""
    return _split_proposals(ctx, out_dir, ctx.cfg.benchmark.eval_split, with_boxes=False)


def network_share(cfg) -> dict:
    """What :func:`train_network` computes from: presets that differ only at test time (scores, regression,
    fused CAM levels, masks, post-processing) share one trained network through the runner's ``stage_cache``."""
    return training_share(cfg, model=cfg.model, train=cfg.train, pipeline=cfg.train_pipeline,
                          proposals=cfg.get("proposals"), sbd_root=cfg.benchmark.get("sbd_root"))


def proposals_share(cfg) -> dict:
    """What the proposal stages compute from: every preset and seed on one benchmark shares them."""
    benchmark = {k: v for k, v in cfg.benchmark.items() if k != "data_root"}
    block = cfg.get("proposals")
    return {"proposals": block.to_dict() if hasattr(block, "to_dict") else block, "benchmark": benchmark}


# ----------------------------------------------------------------------------- training
def train_network(ctx: RunContext, out_dir: Path) -> dict:
    """Detector, regressor and IMG CAMs (and the IS module, when configured) trained together on image labels
    and the train proposals."""
    cfg = ctx.cfg
    mask_source(cfg)   # a test-time mask source the network cannot serve stops the run before training
    pipeline = copy.deepcopy(list(cfg.train_pipeline))
    for step in pipeline:
        if step.get("type") == "LoadProposalBoxes":
            step["boxes_file"] = str(ctx.artifact("proposals_train", BOXES_NAME))
            step.setdefault("max_proposals", cfg.proposals.get("max_proposals"))
    dataset = dict(type="VOCClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   metainfo=dict(classes=tuple(ctx.class_names())), show_progress=False, pipeline=pipeline)
    if cfg.benchmark.get("sbd_root"):
        dataset["sbd_root"] = cfg.benchmark.sbd_root
    trained = train_with_runner(ctx, out_dir, model=network_cfg(ctx), dataset=dataset, block=cfg.train)
    return {"profile": {"sec_per_iter": trained["sec_per_iter"], "train_iters": trained["iters"],
                        "train_batch_size": trained["batch_size"]}}


# ----------------------------------------------------------------------------- inference
def inference_views(shape: tuple[int, int], scales, flip: bool, max_size: int | None) -> list[tuple[float, bool]]:
    """``(factor, flipped)`` of each test view: the image resized so that its short side is each of
    ``scales`` (pixels; the long side at most ``max_size``), with and without a horizontal flip."""
    short, long = min(shape), max(shape)
    views = []
    for s in scales:
        factor = float(s) / short
        if max_size and long * factor > max_size:
            factor = float(max_size) / long
        views += [(factor, False)] + ([(factor, True)] if flip else [])
    return views


def view_boxes(boxes: torch.Tensor, factor: float, flipped: bool, width: int) -> torch.Tensor:
    """Boxes of the stored image -> those of the view (scaled, then flipped in a view of width ``width``)."""
    out = boxes * factor
    if flipped:
        out = torch.stack([width - out[:, 2], out[:, 1], width - out[:, 0], out[:, 3]], dim=1)
    return out


def unview_boxes(boxes: torch.Tensor, factor: float, flipped: bool, width: int) -> torch.Tensor:
    """Inverse of :func:`view_boxes` for ``[R, 4]`` or ``[R, C, 4]`` boxes."""
    out = boxes.clone()
    if flipped:
        out[..., 0], out[..., 2] = width - boxes[..., 2], width - boxes[..., 0]
    return out / factor


def map_to_image(m: torch.Tensor, padded: tuple[int, int], view: tuple[int, int], image: tuple[int, int],
                 flipped: bool) -> torch.Tensor:
    """A map ``[K, S, S]`` over the network's (padded) input of size ``padded`` (H, W) -> ``[K, H_img, W_img]``
    over the image: the padding (right and bottom, ``data_preprocessor.pad_size_divisor``) is cut off at the
    view's size ``view`` first, then the map is resized bilinearly and flipped back for a flipped view."""
    m = m[None].float()
    if padded != view:
        m = F.interpolate(m, size=padded, mode="bilinear", align_corners=False)[..., :view[0], :view[1]]
    m = F.interpolate(m, size=image, mode="bilinear", align_corners=False)[0]
    return m.flip(-1) if flipped else m


@torch.no_grad()
def infer_image(model, img: np.ndarray, proposals: torch.Tensor, test_cfg, device: str,
                with_segmentation: bool = False):
    """Multi-scale (+ flip) inference of one image; ``test_cfg`` also picks the scores (``scores``), whether boxes
    are regressed (``regress``) and how many trained CAM levels are fused (``cam_levels``).

    Returns the detector's scores ``[R, C]`` and boxes (``[R, 4]`` or ``[R, C, 4]``, image pixels), each the mean
    over the views, and the fused CAM brought to the image ``[C, H, W]`` (mean over the views, flipped back);
    with ``with_segmentation=True`` also the IS module's softmax brought to the image the same way
    ``[C + 1, H, W]``.
    """
    h, w = img.shape[:2]
    views = inference_views((h, w), test_cfg.get("scales", (min(h, w),)), bool(test_cfg.get("flip", False)),
                       test_cfg.get("max_size"))
    scores = boxes = cam = seg = None
    for factor, flipped in views:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        view = mmcv.imresize(img, size) if size != (w, h) else img
        if flipped:
            view = np.ascontiguousarray(view[:, ::-1])
        x = model_input(model, view, device)
        out = model.predict_image(x, view_boxes(proposals, size[0] / w, flipped, size[0]).to(device),
                                  scores=test_cfg.get("scores", "refined"),
                                  regress=bool(test_cfg.get("regress", True)),
                                  cam_levels=test_cfg.get("cam_levels"),
                                  with_segmentation=with_segmentation)
        s, b, c = out[:3]
        b = unview_boxes(b.float(), size[0] / w, flipped, size[0]) if b is not None else b
        padded = tuple(x.shape[-2:])
        c = map_to_image(c, padded, (size[1], size[0]), (h, w), flipped)
        scores = s if scores is None else scores + s
        boxes = b if boxes is None else boxes + b
        cam = c if cam is None else cam + c
        if with_segmentation:
            p = map_to_image(out[3], padded, (size[1], size[0]), (h, w), flipped)
            seg = p if seg is None else seg + p
    n = len(views)
    if with_segmentation:
        return scores / n, boxes / n, cam / n, seg / n
    return scores / n, boxes / n, cam / n


def best_matching_proposals(masks: np.ndarray, proposals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The post-processing: each mask ``[N, H, W]`` replaced by the proposal ``[P, H, W]`` of highest mask IoU
    (the first on ties; an empty mask or no proposal keeps the mask). Returns the masks and the IoUs ``[N]``."""
    from wsisbench.proposals import mask_iou_matrix

    if not len(masks) or not len(proposals):
        return masks, np.zeros(len(masks))
    iou = mask_iou_matrix(masks, proposals)   # [N, P]
    best = iou.argmax(axis=1)
    out = masks.copy()
    keep = iou[np.arange(len(masks)), best] > 0
    out[keep] = proposals[best[keep]]
    return out, iou[np.arange(len(masks)), best]


def image_instances(ctx: RunContext, model, sample: dict, val_source: ProposalSource) -> tuple[list[dict], dict]:
    """COCO result records of one val image, and its timings (network, post-processing)."""
    from wsisbench.datasets.rle import encode_mask, json_rle
    from wsisbench.methods.dcl.detector import OICRDetector

    cfg = ctx.cfg
    img = mmcv.imread(sample["img_path"])
    shape = img.shape[:2]
    t0 = time.perf_counter()
    proposal_masks = val_source.masks(sample, shape)
    boxes_in = torch.from_numpy(masks_to_boxes(proposal_masks))
    t1 = time.perf_counter()
    source = mask_source(cfg)
    inferred = infer_image(model, img, boxes_in, cfg.test, ctx.device, with_segmentation=source == "segmentation")
    scores, boxes, cam = inferred[:3]
    nms = cfg.test.get("nms", {})
    det_boxes, det_scores, labels = OICRDetector.postprocess(
        scores.cpu(), boxes.cpu(), score_thr=float(nms.get("score_thr", 1e-3)), iou_thr=float(nms.get("iou", 0.3)),
        max_per_img=int(nms.get("max_per_img", 100)))
    masks_cfg = cfg.masks
    if source == "segmentation":
        masks = segmentation_masks(inferred[3].cpu(), det_boxes, labels, shape).numpy()
    else:
        masks = box_masks(cam.cpu(), det_boxes, labels, shape,
                          threshold=float(masks_cfg.get("threshold", 0.2))).numpy()
    empty_rule = masks_cfg.get("empty", "box")
    if empty_rule not in EMPTY_MASK_RULES:
        raise WsisbenchError(f"masks.empty must be one of {EMPTY_MASK_RULES}, got {empty_rule!r}")
    keep = np.ones(len(masks), dtype=bool)
    for i, (x0, y0, x1, y1) in enumerate(box_pixel_range(det_boxes, shape).tolist()):
        if not masks[i].any():
            if empty_rule == "box":
                masks[i, y0:y1, x0:x1] = True
            else:
                keep[i] = False
    t2 = time.perf_counter()
    matched = None
    if cfg.get("postprocess", {}).get("best_proposal", False):
        masks, matched = best_matching_proposals(masks, proposal_masks)
    t3 = time.perf_counter()
    records = [{"image_id": sample["img_id"], "category_id": int(labels[i]) + 1,
                "segmentation": json_rle(encode_mask(masks[i])), "score": float(det_scores[i])}
               for i in np.flatnonzero(keep)]
    return records, {"network_s": t2 - t1, "postprocess_s": t3 - t2, "proposals_s": t1 - t0,
                     "matched_iou": matched}


def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    """Instances of every val image (detections -> masks from the fused CAMs, or from the IS module with
    ``masks.source='segmentation'`` -> optional best-proposal post-processing) as one COCO results json
    (``predictions/val.json``)."""
    mask_source(ctx.cfg)
    model = load_trained(network_cfg(ctx, for_loading=True), ctx.artifact("train_network", WEIGHTS_NAME),
                         ctx.device)
    samples = ctx.split_samples(ctx.cfg.benchmark.eval_split)
    source = proposal_source(ctx, ctx.artifact("proposals_val", PROPOSALS_DIR))
    records, network_s, post_s, matched = [], 0.0, 0.0, []
    mine = ctx.shard(samples)
    for s in progress(mine, desc="dcl instances val", disable=not ctx.is_main):
        recs, info = image_instances(ctx, model, s, source)
        records += recs
        network_s += info["network_s"]
        post_s += info["postprocess_s"]
        if info["matched_iou"] is not None:
            matched += list(info["matched_iou"])
    total = write_merged_records(ctx, records, out_dir / PREDICTIONS)
    n = max(1, len(mine))
    views = len(inference_views((1, 1), ctx.cfg.test.get("scales", (1,)), bool(ctx.cfg.test.get("flip", False)), None))
    ctx.log(f"  dcl instances: {total} on {len(samples)} val images ({len(records) / n:.2f} per image on this rank; "
            f"{views} test views; {network_s / n:.3f} s/img network, {post_s / n:.3f} s/img post-processing)")
    return {"predictions": PREDICTIONS, "num_predictions": total, "inference_views": views,
            "postprocess_mean_iou": float(np.mean(matched)) if matched else None,
            "profile": {"sec_per_img": network_s / n, "postprocess_sec_per_img": post_s / n}}


# ----------------------------------------------------------------------------- evaluation
def evaluate_val(ctx: RunContext, out_dir: Path) -> dict:
    """The 'voc' instance protocol against the val split's SegmentationObject PNGs (mAP^r and ABO)."""
    from wsisbench.evaluation.stage import evaluate_voc_instances

    return evaluate_voc_instances(ctx, out_dir, ctx.artifact("predict_val", PREDICTIONS))

