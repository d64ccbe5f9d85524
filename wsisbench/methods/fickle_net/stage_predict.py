"""Stage ``predict_val``: the trained segmenter's label maps of the evaluation split (optional dense CRF)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from wsisbench.datasets.png import write_label_png
from wsisbench.models.dsrg import dense_crf
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.training import load_trained
from wsisbench.utils.progress import progress

from .image_input import image_batch, read_rgb
from .model_configs import segmenter_cfg
from .samples import split_samples


@torch.no_grad()
def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    """``labels/<id>.png`` (0..K) for every image of ``benchmark.eval_split``; no image label is used."""
    cfg = ctx.cfg
    pred = cfg.predict
    model = load_trained(segmenter_cfg(ctx, for_loading=True), ctx.stage_dir("train_segmenter") / "weights.pth",
                         ctx.device)
    samples = ctx.shard(split_samples(ctx, cfg.benchmark.eval_split))
    (out_dir / "labels").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for s in progress(samples, desc="predict", disable=not ctx.is_main):
        probs = model(image_batch(model, s["img_path"]), mode="predict")[0]  # [C, H, W]
        if pred.get("crf", False):
            q = dense_crf(probs.float().cpu().numpy(), read_rgb(s["img_path"]), **pred.get("crf_params", {}))
            labels = q.argmax(axis=0)
        else:
            labels = probs.argmax(dim=0).cpu().numpy()
        write_label_png(out_dir / "labels" / f"{s['img_id']}.png", labels.astype(np.uint8))
    per_img = (time.perf_counter() - start) / max(1, len(samples))
    return {"profile": {"predict_sec_per_img": per_img, "predict_crf": bool(pred.get("crf", False))}}
