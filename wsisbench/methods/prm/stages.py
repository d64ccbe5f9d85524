"""PRM's stages (see ``method.py`` for their order and inputs).

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
from wsisbench.pipeline.preflight import apply_pretrained
from wsisbench.pipeline.stage import training_share
from wsisbench.pipeline.training import WEIGHTS_NAME, load_trained, train_with_runner
from wsisbench.proposals.source import ProposalSource, proposal_folder
from wsisbench.utils.progress import progress

from .attention import mask_branches_cut
from .peak_backprop import peak_response_maps
from .peak_stimulation import local_maxima
from .retrieval import retrieve
from .thresholds import third_quartile, valid_classes, valid_peaks

#: the proposals stage's cache folder and the prediction stage's results file
PROPOSALS_DIR = "proposals"
PROPOSALS_PURPOSE = "instances from precomputed mask proposals (PRM uses MCG)"
PREDICTIONS = "predictions/val.json"
INSTANCE_KINDS = ("prm", "cam")
SCORES = ("peak", "class", "retrieval")
#: side (px) of the peak response maps stored for the reports' figure
FIGURE_PRM_SIDE = 64


# ----------------------------------------------------------------------------- samples and networks
def instance_kind(cfg) -> str:
    kind = (cfg.get("instances") or {}).get("kind", "prm")
    if kind not in INSTANCE_KINDS:
        raise WsisbenchError(f"instances.kind must be one of {INSTANCE_KINDS}, got {kind!r}")
    return kind






def classifier_cfg(ctx: RunContext, for_loading: bool = False) -> dict:
    """``cfg.model`` with K classes and, when training, the run's ImageNet checkpoint."""
    model = copy.deepcopy(ctx.cfg.model.to_dict())
    model["num_classes"] = len(ctx.class_names())
    if for_loading:
        return model
    submodule = ctx.cfg.get("pretrained_submodule", "backbone")
    if submodule == "backbone":
        return apply_pretrained(model, ctx.cfg)
    apply_pretrained(model["backbone"], ctx.cfg, submodule=submodule.split(".", 1)[1])
    return model


def check_proposal_files(cfg) -> Path | None:
    """The folder of user proposal files when ``proposals.source == 'files'`` (else None); raises when missing."""
    return proposal_folder(cfg, PROPOSALS_PURPOSE)


# ----------------------------------------------------------------------------- classifier
def train_classifier(ctx: RunContext, out_dir: Path) -> dict:
    """Multi-label soft-margin loss on the peak-stimulated class scores of the train split."""
    cfg = ctx.cfg
    check_proposal_files(cfg)  # fail now, not after training, when a paper preset lacks its proposals
    dataset = dict(type="VOCClsDataset", data_root=str(ctx.data_root), split=cfg.benchmark.train_split,
                   metainfo=dict(classes=tuple(ctx.class_names())), show_progress=False, pipeline=cfg.train_pipeline)
    if cfg.benchmark.get("sbd_root"):
        dataset["sbd_root"] = cfg.benchmark.sbd_root
    fraction = cfg.get("train_subset")
    if fraction:
        dataset = dict(type="PRMSubsetDataset", dataset=dataset, **dict(fraction))
    trained = train_with_runner(ctx, out_dir, model=classifier_cfg(ctx), dataset=dataset, block=cfg.train)
    return {"profile": {"sec_per_iter": trained["sec_per_iter"], "classifier_iters": trained["iters"],
                        "classifier_batch_size": trained["batch_size"]}}


def classifier_share(cfg) -> dict:
    """What :func:`train_classifier` computes from: presets that differ only after training (thresholds,
    peak back-propagation, retrieval) share one classifier through the runner's ``stage_cache``."""
    return training_share(cfg, model=cfg.model, train=cfg.train, pipeline=cfg.train_pipeline,
                          train_subset=cfg.get("train_subset"), sbd_root=cfg.benchmark.get("sbd_root"))


# ----------------------------------------------------------------------------- proposals
def proposals_val(ctx: RunContext, out_dir: Path) -> dict:
    """Selective-search masks of every val image cached under ``proposals/`` (or a check of the user's files)."""
    samples = ctx.split_samples(ctx.cfg.benchmark.eval_split)
    summary = proposal_source(ctx, out_dir / PROPOSALS_DIR).prepare(samples, "val", ctx.shard, ctx.is_main)
    ctx.barrier()
    sec = summary.pop("sec_per_img", None)
    return {"proposals": summary, **({"profile": {"proposals_sec_per_img": sec}} if sec is not None else {})}


def proposal_source(ctx: RunContext, cache_root: Path) -> ProposalSource:
    return ProposalSource(ctx.cfg, cache_root, PROPOSALS_PURPOSE)


# ----------------------------------------------------------------------------- prediction
def _resize(maps: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(maps[None].float(), size=shape, mode="bilinear", align_corners=False)[0]


def image_peaks(crms: torch.Tensor, classes: np.ndarray, thr_cfg, win: int,
                max_peaks: int) -> tuple[np.ndarray, np.ndarray]:
    """The valid peaks of the valid classes: int64 [P, 3] (class, y, x) and their CRM values [P], best first,
    at most ``max_peaks``."""
    rows, values = [], []
    maxima = local_maxima(crms[None], win)[0]
    for c in classes:
        ys, xs = torch.nonzero(maxima[c], as_tuple=True)
        vals = crms[c, ys, xs].cpu().numpy().astype(np.float64)
        keep = valid_peaks(thr_cfg, vals)
        for y, x, v in zip(ys[keep].tolist(), xs[keep].tolist(), vals[keep]):
            rows.append((int(c), y, x))
            values.append(float(v))
    if not rows:
        return np.zeros((0, 3), np.int64), np.zeros(0)
    order = np.argsort(-np.asarray(values), kind="stable")[:max_peaks]
    return np.asarray(rows, np.int64)[order], np.asarray(values)[order]


def split_class_q3(ctx: RunContext, model, samples: list[dict]) -> float | None:
    """The third quartile of every (image, class) score of the split (``thresholds.population='split'``)."""
    thr = ctx.cfg.thresholds
    if thr.get("mode", "adaptive") != "adaptive" or thr.get("population", "image") != "split":
        return None
    values = []
    with torch.no_grad():
        for s in progress(ctx.shard(samples), desc="class scores val", disable=not ctx.is_main):
            x = model_input(model, mmcv.imread(s["img_path"]), ctx.device)
            values.append(model.aggregate(model.class_response_maps(x))[0].cpu().numpy())
    values = np.concatenate(values) if values else np.zeros(0)
    if ctx.distributed:
        from mmengine.dist import all_gather_object

        values = np.concatenate(all_gather_object(values))
    return third_quartile(values)


def _class_responses(ctx: RunContext, model, sample: dict, split_q3: float | None):
    """One image through the classifier: ``(shape (H, W), input x, CRMs (1, K, h, w), class scores (K,),
    valid classes)``."""
    img = mmcv.imread(sample["img_path"])
    x = model_input(model, img, ctx.device)
    with torch.no_grad():
        crms = model.class_response_maps(x)
        scores = model.aggregate(crms)[0].cpu().numpy()
    return img.shape[:2], x, crms, scores, valid_classes(ctx.cfg.thresholds, scores, split_q3)


def image_prms(ctx: RunContext, model, x: torch.Tensor, peaks: np.ndarray,
               shape: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Peak response maps of ``peaks`` (int64 [P, 3] class, y, x) at image size: float [P, H, W], each
    non-negative with sum 1, and the share of each map's mass kept by the clamp [P]."""
    bp = ctx.cfg.peak_backprop
    with mask_branches_cut(model, bool(bp.get("cut_mask_branch", False))):
        prms, kept = peak_response_maps(model, model.low_res_maps, x, torch.from_numpy(peaks).to(x.device),
                                        bottom=bp.get("bottom"), phi=bp.get("phi", "clamp"),
                                        chunk=int(bp.get("chunk", 16)), upsample=model.upsample)
    prms = _resize(prms, shape).clamp(min=0)
    return prms / prms.flatten(1).sum(1).clamp(min=1e-12)[:, None, None], kept


def peak_figure_entry(ctx: RunContext, model, sample: dict, out_dir: Path, split_q3: float | None) -> dict:
    """A result.json ``qualitative`` entry for the reports' side-by-side figure: the class response map of the
    image's best-scoring class and the peak response map of that map's highest peak, valid or not (so that every
    run shows the same images), saved as ``.npy`` under ``out_dir/qualitative/``: the CRM [h, w] at its own
    resolution, the PRM average-pooled to [FIGURE_PRM_SIDE, FIGURE_PRM_SIDE]."""
    from wsisbench.pipeline.qualitative import qualitative_entry

    shape, x, crms, scores, _ = _class_responses(ctx, model, sample, split_q3)
    c = int(np.argmax(scores))
    maxima = local_maxima(crms, int(ctx.cfg.peaks.get("win_size", 3)))[0, c]
    values = torch.where(maxima, crms[0, c], torch.full_like(crms[0, c], -torch.inf))
    y, xx = divmod(int(torch.argmax(values)), values.shape[1])
    prm, _ = image_prms(ctx, model, x, np.asarray([[c, y, xx]], np.int64), shape)
    folder = out_dir / "qualitative"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"class response map": folder / f"{sample['img_id']}_crm.npy",
             "peak response map": folder / f"{sample['img_id']}_prm.npy"}
    # at the CRM's own resolution and at FIGURE_PRM_SIDE px: small files that `wsisbench results export` keeps
    np.save(paths["class response map"], crms[0, c].cpu().numpy().astype(np.float32))
    prm_small = F.adaptive_avg_pool2d(prm[None], (FIGURE_PRM_SIDE, FIGURE_PRM_SIDE))[0, 0]
    np.save(paths["peak response map"], prm_small.cpu().numpy().astype(np.float32))
    name = ctx.class_names()[c]
    score = 1 / (1 + np.exp(-scores[c]))
    return qualitative_entry(out_dir, sample["img_path"], maps=paths,
                             caption=f"{name} (score {score:.2f}), peak at (y, x) = ({y}, {xx}) of the "
                                     f"{crms.shape[2]} x {crms.shape[3]} CRM")


def prm_instances(ctx: RunContext, model, sample: dict, store, split_q3: float | None) -> tuple[list[dict], dict]:
    """COCO result records of one image by PRM, and per-image facts (peaks, mass kept)."""
    from wsisbench.datasets.rle import encode_mask, json_rle

    cfg = ctx.cfg
    shape, x, crms, scores, classes = _class_responses(ctx, model, sample, split_q3)
    crms = crms[0]
    pk = cfg.peaks
    peaks, values = image_peaks(crms, classes, cfg.thresholds, int(pk.get("win_size", 3)), int(pk.get("max_peaks", 20)))
    info = {"classes": len(classes), "peaks": len(peaks), "mass_kept": []}
    if len(peaks) == 0:
        return [], info
    prms, kept = image_prms(ctx, model, x, peaks, shape)
    info["mass_kept"] = kept.cpu().tolist()
    crm_img = _resize(crms, shape).cpu().numpy()
    proposals = store.masks(sample, shape)
    kind = cfg.instances.get("score", "peak")
    if kind not in SCORES:
        raise WsisbenchError(f"instances.score must be one of {SCORES}, got {kind!r}")
    rank = {"peak": 1 / (1 + np.exp(-values)), "class": 1 / (1 + np.exp(-scores[peaks[:, 0]]))}.get(kind)
    found = retrieve(prms.cpu().numpy(), peaks[:, 0], rank if rank is not None else np.zeros(len(peaks)),
                     proposals, crm_img, cfg.retrieval)
    records = []
    for inst in found:
        score = inst.value if kind == "retrieval" else inst.score
        records.append({"image_id": sample["img_id"], "category_id": inst.label + 1,
                        "segmentation": json_rle(encode_mask(proposals[inst.proposal])),
                        "score": float(max(score, 0.0) if kind != "retrieval" else score)})
    if kind == "retrieval":  # the evaluator needs scores >= 0: shift by a constant (ranking unchanged)
        for r in records:
            r["score"] = float(r["score"] + cfg.retrieval.get("beta", 1e-5) * shape[0] * shape[1])
    return records, info


def cam_instances(ctx: RunContext, model, sample: dict, split_q3: float | None) -> tuple[list[dict], dict]:
    """The CAM baseline: connected components of each valid class's thresholded CAM, scored by the mean
    normalised CAM inside the component."""
    import cv2

    from wsisbench.datasets.rle import encode_mask, json_rle

    cfg = ctx.cfg
    inst = cfg.instances
    shape, _, crms, scores, classes = _class_responses(ctx, model, sample, split_q3)
    cams = _resize(F.relu(crms[0]), shape).cpu().numpy()
    records = []
    min_area = float(inst.get("min_area", 0.0)) * shape[0] * shape[1]
    for c in classes:
        cam = cams[c] / max(float(cams[c].max()), 1e-12)
        n, comp = cv2.connectedComponents((cam >= float(inst.get("cam_threshold", 0.5))).astype(np.uint8), 8)
        for k in range(1, n):
            mask = comp == k
            if mask.sum() <= max(min_area, 0):
                continue
            records.append({"image_id": sample["img_id"], "category_id": int(c) + 1,
                            "segmentation": json_rle(encode_mask(mask)), "score": float(cam[mask].mean())})
    return records, {"classes": len(classes), "peaks": 0, "mass_kept": []}


def predict_val(ctx: RunContext, out_dir: Path) -> dict:
    """Instances of every val image as one COCO results json (``predictions/val.json``)."""
    cfg = ctx.cfg
    kind = instance_kind(cfg)
    model = load_trained(classifier_cfg(ctx, for_loading=True), ctx.artifact("train_classifier", WEIGHTS_NAME),
                         ctx.device)
    samples = ctx.split_samples(cfg.benchmark.eval_split)
    split_q3 = split_class_q3(ctx, model, samples)
    store = proposal_source(ctx, ctx.artifact("proposals_val", PROPOSALS_DIR)) if kind == "prm" else None
    records, peaks, classes, kept = [], 0, 0, []
    mine = ctx.shard(samples)
    start = time.perf_counter()
    for s in progress(mine, desc=f"{kind} instances val", disable=not ctx.is_main):
        if kind == "prm":
            recs, info = prm_instances(ctx, model, s, store, split_q3)
        else:
            recs, info = cam_instances(ctx, model, s, split_q3)
        records += recs
        peaks, classes, kept = peaks + info["peaks"], classes + info["classes"], kept + info["mass_kept"]
    elapsed = time.perf_counter() - start
    qualitative = []
    if kind == "prm" and ctx.is_main:  # the first val images of the split: the same in every run
        qualitative = [peak_figure_entry(ctx, model, s, out_dir, split_q3)
                       for s in samples[:int(cfg.get("num_qualitative", 3))]]
    total = write_merged_records(ctx, records, out_dir / PREDICTIONS)
    n = max(1, len(mine))
    ctx.log(f"  {kind} instances: {total} on {len(samples)} val images ({classes / n:.2f} valid classes and "
            f"{peaks / n:.2f} valid peaks per image on this rank)")
    return {"predictions": PREDICTIONS, "num_predictions": total, "split_class_q3": split_q3,
            "valid_classes_per_image": classes / n, "valid_peaks_per_image": peaks / n,
            "prm_mass_kept_mean": float(np.mean(kept)) if kept else None,
            "profile": {"sec_per_img": elapsed / n}, "qualitative": qualitative}


# ----------------------------------------------------------------------------- evaluation
def evaluate_val(ctx: RunContext, out_dir: Path) -> dict:
    """The 'voc' instance protocol against the val split's SegmentationObject PNGs (mAP^r and ABO)."""
    from wsisbench.evaluation.stage import evaluate_voc_instances

    return evaluate_voc_instances(ctx, out_dir, ctx.artifact("predict_val", PREDICTIONS))
