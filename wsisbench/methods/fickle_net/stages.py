"""FickleNet's stages (see ``method.py`` for their order and inputs).

Each takes ``(ctx, out_dir)``, writes its artifacts into ``out_dir`` and returns its result.json summary.
Per-image work goes through ``ctx.shard``; every image's random passes are seeded from its id, so the maps do
not depend on the number of processes.
"""
from __future__ import annotations

import copy
import io
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from wsisbench.datasets.png import write_label_png
from wsisbench.datasets.voc_instances import read_label_map
from wsisbench.errors import WsisbenchError
from wsisbench.evaluation.api import evaluate_semantic
from wsisbench.evaluation.per_image import stage_file
from wsisbench.evaluation.semantic import SemanticConfusion
from wsisbench.models.dsrg import dense_crf
from wsisbench.pipeline import RunContext
from wsisbench.pipeline.preflight import pretrained_for
from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.pipeline.stage import training_share
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner
from wsisbench.utils.atomic import atomic_write_bytes
from wsisbench.utils.progress import progress

from .fast_cams import KeepSampler, fast_path_applies
from .pseudo_labels import (
    SeedScorer,
    check_saliency,
    evaluate_seeds,
    foreground_precision_recall,
    image_batch,
    image_generator,
    image_map_statistics,
    label_map,
    read_rgb,
)
from .segmenter_data import pixel_labelled_ids

#: the localization stage's folder of seed PNGs
SEEDS_DIR = "seeds"
#: the segmenter stage's starting backbone when it starts from the trained classifier (scratch file)
INIT_NAME = "init_from_classifier.pth"


# ----------------------------------------------------------------------------- samples and networks




def gt_pairs(samples: list[dict]) -> list[tuple[str, str]]:
    """``(image id, ground-truth label PNG)`` of ``samples`` for :func:`evaluate_semantic`."""
    return [(s["img_id"], s["seg_map_path"]) for s in samples]


def classifier_cfg(ctx: RunContext, for_loading: bool = False) -> dict:
    """``cfg.classifier`` with K classes and the run's ImageNet checkpoint (not when loading trained weights)."""
    model = copy.deepcopy(ctx.cfg.classifier.to_dict())
    model["num_classes"] = len(ctx.class_names())
    model["pretrained"] = None if for_loading else pretrained_for(ctx.cfg, "classifier")
    return model


def segmenter_cfg(ctx: RunContext, for_loading: bool = False) -> dict:
    """``cfg.segmenter`` with K + 1 classes (background included) and the run's ImageNet checkpoint."""
    model = copy.deepcopy(ctx.cfg.segmenter.to_dict())
    model["num_classes"] = len(ctx.class_names()) + 1
    model["pretrained"] = None if for_loading else pretrained_for(ctx.cfg, "segmenter")
    return model


# ----------------------------------------------------------------------------- classifier
def train_classifier(ctx: RunContext, out_dir: Path) -> dict:
    """Multi-label sigmoid cross-entropy with the head's training selection (S: centre-fixed dropout).

    ``classifier_train.weights`` (a ``weights.pth`` of an earlier run) skips training and reuses it, e.g. to
    score several inference selections of one trained classifier (Table 7).
    """
    cfg = ctx.cfg
    check_saliency(cfg)  # fail now, not after training, when a paper preset lacks its saliency maps
    block = cfg.classifier_train
    if block.get("weights"):
        src = Path(str(block.weights)).expanduser()
        if not src.is_file():
            raise WsisbenchError(f"classifier_train.weights {src} does not exist")
        if ctx.is_main:
            shutil.copyfile(src, out_dir / WEIGHTS_NAME)
        ctx.barrier()
        return {"profile": {"classifier_weights_from": str(src)}}
    dataset = dict(type="VOCClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   metainfo=dict(classes=tuple(ctx.class_names())), show_progress=False,
                   pipeline=cfg.classifier_pipeline)
    if cfg.benchmark.get("sbd_root"):
        dataset["sbd_root"] = cfg.benchmark.sbd_root
    trained = train_with_runner(ctx, out_dir, model=classifier_cfg(ctx), dataset=dataset, block=block)
    return {"profile": {"sec_per_iter": trained["sec_per_iter"], "classifier_sec_per_iter": trained["sec_per_iter"],
                        "classifier_iters": trained["iters"], "classifier_batch_size": trained["batch_size"]}}


def classifier_share(cfg) -> dict:
    """What :func:`train_classifier` computes from: presets that differ only after it (localization,
    segmenter, the inference selection) share one trained classifier through the runner's ``stage_cache``."""
    classifier = copy.deepcopy(cfg.classifier.to_dict())
    classifier.get("head", {}).pop("infer_selection", None)  # used after training only
    return training_share(cfg, classifier=classifier, train=cfg.classifier_train,
                          pipeline=cfg.classifier_pipeline, sbd_root=cfg.benchmark.get("sbd_root"))


# ----------------------------------------------------------------------------- localization maps
def localization_maps_train(ctx: RunContext, out_dir: Path) -> dict:
    """Write ``seeds/<id>.png`` for every training image (0 bg, 1..K, 255 unassigned) for its GT labels.

    ``localization.bg_threshold_sweep`` (train split only) also scores the seeds for each listed background
    threshold (coverage, background / foreground precision, mIoU over assigned pixels): the light tuning of
    the background rule.
    """
    cfg = ctx.cfg
    loc = cfg.localization
    saliency_dir = check_saliency(cfg)
    model = load_trained(classifier_cfg(ctx, for_loading=True), ctx.artifact("train_classifier", WEIGHTS_NAME),
                         ctx.device)
    names = ctx.class_names()
    samples = ctx.shard(ctx.split_samples(cfg.benchmark.train_split))
    seeds_dir = out_dir / SEEDS_DIR
    seeds_dir.mkdir(parents=True, exist_ok=True)
    sweep = [float(b) for b in loc.get("bg_threshold_sweep", [])]
    scorers = {b: SeedScorer(names) for b in sweep}
    sampler = KeepSampler(ctx.device)
    passes = int(loc.num_passes)
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    qualitative: list[dict] = []  # a few train images: seeds and the mean stochastic map, for reports
    for s in progress(samples, desc="FickleNet maps", disable=not ctx.is_main):
        gen = image_generator(s["img_id"], cfg.seed + loc.get("seed", 0), ctx.device)
        (maps,) = image_map_statistics(model, s["img_path"], s["image_labels"], [passes], loc, gen, sampler)
        write_label_png(seeds_dir / f"{s['img_id']}.png", label_map(maps, loc, s["img_id"], saliency_dir))
        if ctx.is_main and len(qualitative) < int(loc.get("num_qualitative", 4)):
            mean_file = seeds_dir / f"{s['img_id']}_mean_map.npy"
            np.save(mean_file, maps.mean.cpu().numpy().astype(np.float16))
            qualitative.append(qualitative_entry(
                out_dir, s["img_path"], s["seg_map_path"], pred=seeds_dir / f"{s['img_id']}.png", cam=mean_file,
                caption=f"train {s['img_id']}: seeds (255 = unassigned) and mean map of {passes} stochastic passes"))
        if sweep:
            gt = read_label_map(s["seg_map_path"])
            for b in sweep:
                scorers[b].update(gt, label_map(maps, loc, s["img_id"], saliency_dir, b), name=s["img_id"])
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    per_img = (time.perf_counter() - start) / max(1, len(samples))
    summary = {"profile": {"maps_sec_per_img": per_img, "num_passes": passes,
                           "maps_fast_path": bool(loc.get("fast", True)) and fast_path_applies(model.net.head)},
               "qualitative": qualitative}
    if sweep:
        summary["bg_threshold_sweep"] = {str(b): sc.gather(ctx).metrics() for b, sc in scorers.items()}
        for b, m in summary["bg_threshold_sweep"].items():
            ctx.log(f"bg_threshold {b}: coverage {100 * m['coverage']:.1f}, bg precision "
                    f"{100 * m['bg_precision']:.1f}, fg precision {100 * m['fg_precision']:.1f}, "
                    f"mIoU over assigned pixels {100 * m['mIoU']:.2f} (train split)")
    return summary


def pseudo_label_split(ctx: RunContext) -> str:
    """The split whose pseudo-labels are scored (``pseudo_eval.split``, default the training split)."""
    return (ctx.cfg.get("pseudo_eval") or {}).get("split") or ctx.cfg.benchmark.train_split


def evaluate_pseudo_labels(ctx: RunContext, out_dir: Path) -> dict:
    """``pseudo_train``: unassigned (255) pixels count as background (filled pseudo-labels, what papers
    report as pseudo-label mIoU); ``pseudo_train_seeds``: only assigned pixels, plus their coverage."""
    split = pseudo_label_split(ctx)
    samples = ctx.split_samples(split)
    seeds = ctx.artifact("localization_maps_train", SEEDS_DIR)
    names = ctx.class_names()
    per_image, ref = stage_file(out_dir, "pseudo_train")
    filled = evaluate_semantic(gt_pairs(samples), seeds, ["background", *names], ctx.benchmark.ignore_index,
                               out_of_range="background", split=split, progress=ctx.is_main, per_image=per_image)
    filled["per_image"] = ref  # per-image statistics for paired comparisons, relative to the work dir
    filled["unassigned_pixels"] = "scored as background (0)"
    return {"evaluations": {"pseudo_train": filled,
                            "pseudo_train_seeds": evaluate_seeds(ctx, seeds, samples, names, split)}}


def _mean_std(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def repeat_inference_std(ctx: RunContext, out_dir: Path) -> dict:
    """Table 6: spread of the pseudo-label quality over repeated extractions.

    For ``repeat.num_repeats`` R different random seeds, the maps of ``repeat.num_images`` training images
    (the first ones of the sorted split: a fixed subset) are extracted again with N passes for every N in
    ``repeat.num_passes``; each (N, repeat) gives a filled pseudo-label mIoU and foreground precision/recall
    over the subset. Reported per N: mean and sample standard deviation (ddof 1) over the R repeats. Within
    one repeat the N values share their first passes (N = 10 is a prefix of N = 100), which leaves every N's
    R repeats independent. One backbone forward per image serves all repeats and N.
    """
    cfg = ctx.cfg
    loc, rep = cfg.localization, cfg.repeat
    saliency_dir = check_saliency(cfg)
    model = load_trained(classifier_cfg(ctx, for_loading=True), ctx.artifact("train_classifier", WEIGHTS_NAME),
                         ctx.device)
    names = ctx.class_names()
    subset = sorted(ctx.split_samples(cfg.benchmark.train_split), key=lambda s: s["img_id"])
    subset = subset[: int(rep.num_images)]
    checkpoints = sorted(int(n) for n in rep.num_passes)
    repeats = int(rep.num_repeats)
    confusions = {(n, r): SemanticConfusion(len(names) + 1, 255, "background")
                  for n in checkpoints for r in range(repeats)}
    sampler = KeepSampler(ctx.device)
    start = time.perf_counter()
    mine = ctx.shard(subset)
    for s in progress(mine, desc="repeated maps", disable=not ctx.is_main):
        gt = read_label_map(s["seg_map_path"])
        for r in range(repeats):
            gen = image_generator(s["img_id"], cfg.seed + loc.get("seed", 0), ctx.device, repeat=r + 1)
            stats = image_map_statistics(model, s["img_path"], s["image_labels"], checkpoints, loc, gen, sampler)
            for n, maps in zip(checkpoints, stats):
                confusions[(n, r)].update(gt, label_map(maps, loc, s["img_id"], saliency_dir), name=s["img_id"])
    evaluations = {}
    for n in checkpoints:
        miou, prec, rec = [], [], []
        for r in range(repeats):
            conf = confusions[(n, r)].gathered()
            miou.append(conf.compute()["mIoU"])
            p, q = foreground_precision_recall(conf.matrix)
            prec.append(p)
            rec.append(q)
        (m_mean, m_std), (p_mean, p_std), (r_mean, r_std) = _mean_std(miou), _mean_std(prec), _mean_std(rec)
        evaluations[f"repeat_N{n}"] = {
            "protocol": "semantic-repeated-inference", "task": "semantic", "split": cfg.benchmark.train_split,
            "num_images": len(subset), "num_repeats": repeats, "num_passes": n,
            "metrics": {"mean_mIoU": m_mean, "std_mIoU": m_std, "mean_precision": p_mean,
                        "std_precision": p_std, "mean_recall": r_mean, "std_recall": r_std},
            "per_repeat": {"mIoU": miou, "precision": prec, "recall": rec},
        }
        ctx.log(f"N={n}: pseudo-label mIoU {100 * m_mean:.2f} +- {100 * m_std:.3f} over {repeats} repeats "
                f"({len(subset)} images)")
    return {"evaluations": evaluations,
            "profile": {"repeat_sec_per_img": (time.perf_counter() - start) / max(1, len(mine))}}


# ----------------------------------------------------------------------------- segmenter
def backbone_init_from_classifier(ctx: RunContext, out_dir: Path) -> Path:
    """Write the trained classifier's backbone as a state dict for the segmenter's backbone.

    The embedded preset has no ImageNet weights; the classifier's backbone (trained on the same image labels)
    plays their part. Both backbones must have the same config. The file is passed as the segmenter's
    ``pretrained`` (``train_with_runner(load_from=...)`` would make mmengine *resume* from it, since the Runner
    runs with ``resume=True``).
    """
    state = torch.load(ctx.artifact("train_classifier", WEIGHTS_NAME), map_location="cpu", weights_only=True)
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
    """DeepLab trained on the seeds with DSRG (L_seed + L_boundary [+ alpha * L_full for pixel-labelled images])."""
    cfg = ctx.cfg
    block = cfg.segmenter_train
    train_ids = [s["img_id"] for s in ctx.split_samples(cfg.benchmark.train_split)]
    full_ids = pixel_labelled_ids(ctx, train_ids)
    dataset = dict(type="SeedSegDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   seed_dir=str(ctx.artifact("localization_maps_train", SEEDS_DIR)),
                   classes=tuple(ctx.class_names()), full_label_ids=full_ids,
                   sbd_root=cfg.benchmark.get("sbd_root"), pipeline=cfg.segmenter_pipeline)
    model = segmenter_cfg(ctx)
    if block.get("init_backbone_from_classifier", False):
        model["pretrained"] = str(backbone_init_from_classifier(ctx, out_dir))
        model["pretrained_option"] = "segmenter_train.init_backbone_from_classifier"
    trained = train_with_runner(ctx, out_dir, model=model, dataset=dataset, block=block)
    if ctx.is_main:
        (out_dir / INIT_NAME).unlink(missing_ok=True)
    return {"profile": {"segmenter_sec_per_iter": trained["sec_per_iter"], "segmenter_iters": trained["iters"],
                        "segmenter_batch_size": trained["batch_size"], "pixel_labelled_images": len(full_ids)}}


@torch.no_grad()
def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    """``labels/<id>.png`` (0..K) for every image of ``benchmark.eval_split``; no image label is used."""
    cfg = ctx.cfg
    pred = cfg.predict
    model = load_trained(segmenter_cfg(ctx, for_loading=True), ctx.artifact("train_segmenter", WEIGHTS_NAME),
                         ctx.device)
    samples = ctx.shard(ctx.split_samples(cfg.benchmark.eval_split))
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
    return {"profile": {"sec_per_img": per_img, "predict_crf": bool(pred.get("crf", False))}}


def evaluate_val(ctx: RunContext, out_dir: Path) -> dict:
    """Semantic mIoU of the predicted label maps on ``benchmark.eval_split`` (evaluation ``val``)."""
    split = ctx.cfg.benchmark.eval_split
    samples = ctx.split_samples(split)
    per_image, ref = stage_file(out_dir, "val")
    evaluation = evaluate_semantic(gt_pairs(samples), ctx.artifact("predict_val", "labels"),
                                   ["background", *ctx.class_names()], ctx.benchmark.ignore_index,
                                   out_of_range=ctx.benchmark.semantic_out_of_range, split=split,
                                   progress=ctx.is_main, per_image=per_image)
    evaluation["per_image"] = ref  # per-image statistics for paired comparisons, relative to the work dir
    return {"evaluations": {"val": evaluation}}
