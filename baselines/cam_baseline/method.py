"""The CAM baseline (Zhou et al. 2016) as a wsisbench method.

Stages:
    train_classifier    multi-label GAP classifier on image-level labels (mmengine Runner)
    pseudo_labels_train CAMs of the train images for their ground-truth labels -> label maps
    evaluate_train      pseudo-label quality (semantic protocol on the train split)
    predict_val         CAMs of the val images for the predicted labels -> label maps
    evaluate_val        semantic protocol on the val split
"""
from __future__ import annotations

from pathlib import Path

import mmcv
import numpy as np
from wsisbench.utils.progress import progress

from wsisbench.datasets.png import write_label_png
from wsisbench.evaluation.profiling import Profiler
from wsisbench.localization import image_cams, label_map_from_cams, normalize_maps
from wsisbench.pipeline import Method, RunContext, Stage
from wsisbench.pipeline.preflight import apply_pretrained
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.pipeline.semantic_evaluation import evaluate_label_maps
from wsisbench.pipeline.step_timer_hook import read_train_profile
from wsisbench.pipeline.training import load_trained, train_with_runner
from wsisbench.registry import METHODS


def _voc_split(ctx: RunContext, split: str) -> list[dict]:
    """Samples (img_path, img_id, image_labels, seg_map_path) of a VOC-layout split."""
    from wsisbench.datasets.voc import VOCSegDataset

    ds = VOCSegDataset(data_root=str(ctx.data_root), split=split, show_progress=False,
                       metainfo=dict(classes=tuple(ctx.benchmark.class_names(ctx.data_root))))
    return [ds.get_data_info(i) for i in range(len(ds))]


def _model_cfg(ctx: RunContext) -> dict:
    model = ctx.cfg.model.to_dict()
    model["num_classes"] = len(ctx.benchmark.class_names(ctx.data_root))
    return apply_pretrained(model, ctx.cfg)


@METHODS.register_module(name="cam_baseline")
class CAMBaseline(Method):
    summary = "CAM baseline: GAP classifier on image labels, CAMs, background threshold"

    def build_stages(self) -> list[Stage]:
        return [
            Stage("train_classifier", self.train_classifier, "multi-label classifier on image labels",
                  resumable=True),
            Stage("pseudo_labels_train", self.pseudo_labels_train, "CAM label maps of the train split"),
            Stage("evaluate_train", self.evaluate_train, "pseudo-label mIoU on the train split"),
            Stage("predict_val", self.predict_val, "CAM label maps of the val split"),
            Stage("evaluate_val", self.evaluate_val, "semantic mIoU on the val split"),
        ]

    # ------------------------------------------------------------------ stages
    def train_classifier(self, ctx: RunContext, out_dir: Path) -> dict:
        cfg = self.cfg
        classes = tuple(ctx.benchmark.class_names(ctx.data_root))
        dataset = dict(type="VOCClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                       metainfo=dict(classes=classes), show_progress=False, pipeline=cfg.train_pipeline)
        loader = dict(batch_size=cfg.train.batch_size, num_workers=cfg.train.get("num_workers", 0),
                      sampler=dict(type="InfiniteSampler", shuffle=True, seed=cfg.seed),
                      collate_fn=dict(type="pseudo_collate"), dataset=dataset)
        train_with_runner(ctx, out_dir, model=_model_cfg(ctx), train_dataloader=loader,
                          optim_wrapper=cfg.train.optim_wrapper, max_iters=cfg.train.max_iters,
                          param_scheduler=cfg.train.get("param_scheduler"))
        timing = read_train_profile(out_dir)
        return {"profile": {"sec_per_iter": timing.get("sec_per_iter"), "train_iters": cfg.train.max_iters,
                            "batch_size": cfg.train.batch_size}}

    def _write_label_maps(self, ctx: RunContext, out_dir: Path, split: str, use_gt_labels: bool) -> dict:
        cam_cfg = self.cfg.cam
        model = load_trained(_model_cfg(ctx), ctx.stage_dir("train_classifier") / "weights.pth", ctx.device)
        samples = ctx.shard(_voc_split(ctx, split))
        (out_dir / "labels").mkdir(exist_ok=True)
        profiler = Profiler(device=ctx.device, warmup=1)
        qualitative: list[dict] = []  # a few images with their label map and CAM for reports
        with profiler.phase("inference") as phase:
            for s in progress(samples, desc=f"CAMs {split}", disable=not ctx.is_main):
                img = mmcv.imread(s["img_path"])
                with phase.step(num_images=1):  # everything for one image: all scales and flips
                    cams, scores = image_cams(model, img, scales=cam_cfg.scales, flip=cam_cfg.flip,
                                              device=ctx.device)
                if use_gt_labels:
                    present = s["image_labels"]
                else:
                    present = [int(c) for c in np.flatnonzero(scores >= cam_cfg.score_threshold)]
                    present = present or [int(scores.argmax())]
                labels = label_map_from_cams(cams, present, cam_cfg.bg_threshold)
                write_label_png(out_dir / "labels" / f"{s['img_id']}.png", labels)
                if len(qualitative) < cam_cfg.get("num_qualitative", 4) and ctx.is_main:
                    cam_file = out_dir / "labels" / f"{s['img_id']}_cam.npy"
                    np.save(cam_file, normalize_maps(cams[present]))
                    qualitative.append(qualitative_entry(out_dir, s["img_path"], s["seg_map_path"],
                                                         pred=out_dir / "labels" / f"{s['img_id']}.png",
                                                         cam=cam_file))
        return {"profile": {"sec_per_img": profiler.summary()["sec_per_img"],
                            "inference_scales": list(cam_cfg.scales), "inference_flip": bool(cam_cfg.flip)},
                "qualitative": qualitative}

    def pseudo_labels_train(self, ctx: RunContext, out_dir: Path) -> dict:
        summary = self._write_label_maps(ctx, out_dir, self.cfg.benchmark.train_split, use_gt_labels=True)
        return {"pseudo_label_sec_per_img": summary["profile"]["sec_per_img"]}  # result.json keeps val's

    def predict_val(self, ctx: RunContext, out_dir: Path) -> dict:
        return self._write_label_maps(ctx, out_dir, self.cfg.benchmark.eval_split, use_gt_labels=False)

    def _evaluate(self, ctx: RunContext, split: str, pred_stage: str, name: str) -> dict:
        samples = _voc_split(ctx, split)
        gt_dir = Path(samples[0]["seg_map_path"]).parent
        evaluation = evaluate_label_maps(ctx, ctx.stage_dir(pred_stage) / "labels", gt_dir,
                                         [s["img_id"] for s in samples],
                                         ctx.benchmark.class_names(ctx.data_root), split)
        return {"evaluations": {name: evaluation}}

    def evaluate_train(self, ctx: RunContext, out_dir: Path) -> dict:
        return self._evaluate(ctx, self.cfg.benchmark.train_split, "pseudo_labels_train", "pseudo_train")

    def evaluate_val(self, ctx: RunContext, out_dir: Path) -> dict:
        return self._evaluate(ctx, self.cfg.benchmark.eval_split, "predict_val", "val")
