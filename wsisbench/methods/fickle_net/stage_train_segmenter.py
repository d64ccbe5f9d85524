"""Stage ``train_segmenter``: DeepLab trained on the seeds with DSRG (L_seed + L_boundary [+ alpha L_full])."""
from __future__ import annotations

import io
from pathlib import Path

import torch

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.step_timer_hook import read_train_profile
from wsisbench.pipeline.training import train_with_runner
from wsisbench.utils.atomic import atomic_write_bytes

from .model_configs import segmenter_cfg
from .samples import class_names, split_samples
from .semi_ids import pixel_labelled_ids
from .stage_localization import SEEDS_DIR

INIT_NAME = "init_from_classifier.pth"


def backbone_init_from_classifier(ctx: RunContext, out_dir: Path) -> Path:
    """Write the trained classifier's backbone as a state dict for the segmenter's backbone.

    The embedded preset has no ImageNet weights; the classifier's backbone (trained on the same image
    labels) plays their part. Both backbones must have the same config. The file is passed as the
    segmenter's ``pretrained`` (``train_with_runner(load_from=...)`` would make mmengine *resume* from it,
    since the Runner runs with ``resume=True``).
    """
    state = torch.load(ctx.stage_dir("train_classifier") / "weights.pth", map_location="cpu", weights_only=True)
    prefix = "net.backbone."
    backbone = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not backbone:
        raise WsisbenchError("segmenter_train.init_backbone_from_classifier: the classifier weights hold no "
                             "backbone tensors")
    path = out_dir / INIT_NAME
    if ctx.is_main:
        buffer = io.BytesIO()
        torch.save(backbone, buffer)
        atomic_write_bytes(path, buffer.getvalue())
    ctx.barrier()
    return path


def train_segmenter(ctx: RunContext, out_dir: Path) -> dict:
    cfg = ctx.cfg
    train = cfg.segmenter_train
    train_ids = [s["img_id"] for s in split_samples(ctx, cfg.benchmark.train_split)]
    full_ids = pixel_labelled_ids(ctx, train_ids)
    dataset = dict(type="SeedSegDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   seed_dir=str(ctx.stage_dir("localization_maps_train") / SEEDS_DIR),
                   classes=tuple(class_names(ctx)), full_label_ids=full_ids,
                   sbd_root=cfg.benchmark.get("sbd_root"), pipeline=cfg.segmenter_pipeline)
    loader = dict(batch_size=train.batch_size, num_workers=train.get("num_workers", 0),
                  persistent_workers=train.get("num_workers", 0) > 0,
                  sampler=dict(type="DefaultSampler", shuffle=True, seed=cfg.seed),
                  collate_fn=dict(type="pseudo_collate"), dataset=dataset)
    model = segmenter_cfg(ctx)
    if train.get("init_backbone_from_classifier", False):
        model["pretrained"] = str(backbone_init_from_classifier(ctx, out_dir))
        model["pretrained_option"] = "segmenter_train.init_backbone_from_classifier"
    train_with_runner(ctx, out_dir, model=model, train_dataloader=loader,
                      optim_wrapper=train.optim_wrapper, max_iters=train.max_iters,
                      param_scheduler=train.get("param_scheduler"))
    if ctx.is_main:
        (out_dir / INIT_NAME).unlink(missing_ok=True)
    return {"profile": {"segmenter_sec_per_iter": read_train_profile(out_dir).get("sec_per_iter"),
                        "segmenter_iters": train.max_iters, "segmenter_batch_size": train.batch_size,
                        "pixel_labelled_images": len(full_ids)}}
