"""Mask^X R-CNN: stop-gradient on w_det, mask loss on A only, transfer inputs, every preset builds and runs.

Every preset's model is built as its method builds it (all stages) and runs one loss forward on a 64 x 96
image with one instance of A and one of B. Paper presets use random init (no ImageNet checkpoint); to keep
the test fast, parameter init is a tiled fixed noise and identical backbone / neck / RPN / box head configs
are built once and shared between presets.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

import wsisbench.methods  # noqa: F401  (registers every method and its models)
from wsisbench.benchmarks import get_benchmark
from wsisbench.detection.class_split import class_labels, resolve_class_subset
from wsisbench.detection.models import backbone_init_cfg, complete_model, detector_only, mask_head_only
from wsisbench.errors import WsisbenchError
from wsisbench.methods.maskx_rcnn.mlp_branch import AgnosticMaskHead
from wsisbench.methods.maskx_rcnn.transfer import (
    TransferInput,
    TransferMaskHead,
    WeightTransferFunction,
    load_class_embeddings,
)
from wsisbench.models.detectors import detection_weights
from wsisbench.pipeline.preflight import require_pretrained
from wsisbench.registry import MODELS

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "configs"
EMBEDDED_CLASSES = ("circle", "square", "triangle", "star", "cross", "ring", "hexagon", "crescent", "diamond",
                    "heart")


@pytest.fixture(autouse=True, scope="module")
def _scope():
    init_default_scope("wsisbench")


def _bbox_head(num_classes=4, fc=16, in_channels=8):
    return MODELS.build(dict(type="Shared2FCBBoxHead", in_channels=in_channels, fc_out_channels=fc,
                             roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=False))


def _transfer_head(stop_grad: bool, kind="cls+box", num_classes=4, fc=16, **kw):
    return TransferMaskHead(num_convs=1, in_channels=8, conv_out_channels=8, num_classes=num_classes,
                            transfer_input=dict(kind=kind, det_dim=fc, stop_grad=stop_grad),
                            transfer=dict(num_layers=2, hidden_dim=16, activation="leaky_relu"), **kw)


# ----------------------------------------------------------------------------- weight transfer
@pytest.mark.parametrize("kind", ["cls", "box", "cls+box"])
def test_stop_gradient_blocks_mask_loss_into_w_det(kind):
    torch.manual_seed(0)
    for stop_grad in (True, False):
        bbox_head, head = _bbox_head(), _transfer_head(stop_grad, kind)
        scores = head(torch.randn(3, 8, 14, 14), detection_weights(bbox_head))
        assert scores.shape == (3, 4, 28, 28)
        (scores.sigmoid() * torch.rand_like(scores)).sum().backward()
        grads = [bbox_head.fc_cls.weight.grad, bbox_head.fc_reg.weight.grad]
        used = {"cls": [0], "box": [1], "cls+box": [0, 1]}[kind]
        if stop_grad:
            assert all(g is None or torch.count_nonzero(g) == 0 for g in grads)
        else:
            assert all(grads[i] is not None and grads[i].abs().sum() > 0 for i in used)
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.transfer.parameters())


def test_transfer_function_structures():
    x = torch.randn(5, 12)
    for layers, act in ((1, "none"), (2, "relu"), (2, "leaky_relu"), (3, "relu"), (3, "leaky_relu")):
        t = WeightTransferFunction(12, 7, num_layers=layers, hidden_dim=9, activation=act)
        assert t(x).shape == (5, 7)
        assert sum(isinstance(m, torch.nn.Linear) for m in t.mlp) == layers
    with pytest.raises(WsisbenchError):
        WeightTransferFunction(12, 7, num_layers=2, activation="none")


def test_box_weights_are_grouped_per_class():
    head = _bbox_head(num_classes=3, fc=5)
    w = detection_weights(head)
    assert w["cls"].shape == (3, 5) and w["box"].shape == (3, 20)
    assert torch.equal(w["box"][1, 5:10], head.fc_reg.weight[5])  # class 1, coordinate 1


def test_randn_and_embedding_inputs(tmp_path):
    r = TransferInput("randn", num_classes=4, dim=6, seed=3)
    assert r().shape == (4, 6) and torch.equal(r(), TransferInput("randn", num_classes=4, dim=6, seed=3)())
    with pytest.raises(WsisbenchError, match="word-embedding file"):
        TransferInput("embedding", num_classes=2, class_names=["a", "b"])
    with pytest.raises(WsisbenchError, match="does not exist"):
        TransferInput("embedding", num_classes=2, class_names=["a", "b"], embedding_file=str(tmp_path / "no.txt"))
    glove = tmp_path / "glove.txt"
    glove.write_text("traffic 1 0 0\nlight 0 1 0\ncat 0 0 2\n")
    emb = load_class_embeddings(glove, ["traffic light", "cat"])
    assert np.allclose(emb, [[0.5, 0.5, 0], [0, 0, 2]])
    with pytest.raises(WsisbenchError, match="dog"):
        load_class_embeddings(glove, ["dog"])


def test_mlp_branch_is_tiled_over_classes():
    torch.manual_seed(0)
    head = _transfer_head(True, mlp_branch=dict(hidden_dims=(8,)))
    det = detection_weights(_bbox_head())
    x = torch.randn(2, 8, 14, 14)
    fused = head(x, det)
    mlp = head.mlp_branch(x)
    head.mlp_branch = None
    assert torch.allclose(fused - head(x, det), mlp.expand(-1, 4, -1, -1), atol=1e-6)
    agnostic = AgnosticMaskHead(num_convs=1, in_channels=8, conv_out_channels=8, num_classes=4,
                                mlp_branch=dict(hidden_dims=(8,)))
    assert agnostic(x).shape == (2, 1, 28, 28)


# ----------------------------------------------------------------------------- dummy data
def _dummy_batch(labels=(0, 7), b_mask_value=0, size=(64, 96)):
    """One image with one box per label; masks fill the boxes (B masks: ``b_mask_value`` everywhere)."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData

    h, w = size
    boxes = torch.tensor([[4.0, 6, 40, 40], [44, 20, 90, 60]])[: len(labels)]
    masks = np.zeros((len(labels), h, w), np.uint8)
    for i, (x0, y0, x1, y1) in enumerate(boxes.int().tolist()):
        masks[i, y0:y1, x0:x1] = 1
    sample = DetDataSample(metainfo=dict(img_shape=size, ori_shape=size, scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(bboxes=boxes, labels=torch.tensor(labels), masks=BitmapMasks(masks, h, w))
    gen = torch.Generator().manual_seed(0)
    return dict(inputs=[torch.randint(0, 255, (3, h, w), dtype=torch.uint8, generator=gen)], data_samples=[sample])


def _with_b_masks(batch, a_labels, value):
    from mmdet.structures.mask import BitmapMasks

    gt = batch["data_samples"][0].gt_instances
    masks = gt.masks.masks.copy()
    for i, label in enumerate(gt.labels.tolist()):
        if label not in a_labels:
            masks[i] = value
    gt.masks = BitmapMasks(masks, *masks.shape[1:])
    return batch


def _embedded_model(preset="embedded", labels=(0, 1, 2, 3, 4)):
    cfg = Config.fromfile(str(CONFIGS / "maskx_rcnn" / f"{preset}.py"))
    cfg.model.backbone.pretrained = False
    return MODELS.build(complete_model(cfg, EMBEDDED_CLASSES, list(labels)))


def test_mask_loss_never_sees_b_instances(monkeypatch):
    a_labels = {0, 1, 2, 3, 4}
    torch.manual_seed(0)
    model = _embedded_model()
    model.train()
    seen_mask, seen_box = [], []
    real_mask, real_box = model.roi_head.mask_head.loss_and_target, model.roi_head.bbox_loss

    def spy_mask(mask_preds, sampling_results, **kw):
        seen_mask.append(torch.cat([r.pos_gt_labels for r in sampling_results]))
        assert mask_preds.shape[0] == seen_mask[-1].numel()
        return real_mask(mask_preds=mask_preds, sampling_results=sampling_results, **kw)

    def spy_box(x, sampling_results):
        seen_box.append(torch.cat([r.pos_gt_labels for r in sampling_results]))
        return real_box(x, sampling_results)

    monkeypatch.setattr(model.roi_head.mask_head, "loss_and_target", spy_mask)
    monkeypatch.setattr(model.roi_head, "bbox_loss", spy_box)
    losses = []
    for value in (0, 1):  # B masks empty, then B masks full: the mask loss must not change
        torch.manual_seed(1)
        batch = _with_b_masks(_dummy_batch(labels=(0, 7)), a_labels, value)
        data = model.data_preprocessor(batch, True)
        losses.append(model(**data, mode="loss"))
    assert set(seen_box[0].tolist()) == {0, 7}  # box losses see A and B
    assert seen_mask[0].numel() > 0 and set(seen_mask[0].tolist()) <= a_labels  # mask loss: A only
    assert torch.equal(losses[0]["loss_mask"], losses[1]["loss_mask"])
    assert torch.equal(losses[0]["loss_cls"], losses[1]["loss_cls"])


def test_b_only_image_gives_zero_mask_loss_with_graph():
    torch.manual_seed(0)
    model = _embedded_model()
    model.train()
    data = model.data_preprocessor(_dummy_batch(labels=(7, 9)), True)
    losses = model(**data, mode="loss")
    assert float(losses["loss_mask"]) == 0.0 and losses["loss_mask"].requires_grad


def test_stagewise_second_stage_trains_only_the_mask_head(tmp_path):
    cfg = Config.fromfile(str(CONFIGS / "maskx_rcnn" / "embedded_sw_transfer.py"))
    cfg.model.backbone.pretrained = False
    full = complete_model(cfg, EMBEDDED_CLASSES, [0, 1, 2, 3, 4])
    detector = MODELS.build(detector_only(full))
    assert not detector.roi_head.with_mask
    weights = tmp_path / "weights.pth"
    torch.save(detector.state_dict(), weights)
    model = MODELS.build(mask_head_only(full, weights))
    model.init_weights()
    for k, v in detector.state_dict().items():  # the detector comes from the first stage
        assert torch.equal(model.state_dict()[k], v), k
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("roi_head.mask_head.") for n in trainable)
    model.train()
    assert not model.backbone.training and not model.roi_head.bbox_head.training
    losses = model(**model.data_preprocessor(_dummy_batch(), True), mode="loss")
    assert set(losses) == {"loss_mask"}
    losses["loss_mask"].backward()
    assert all(p.grad is None for n, p in model.named_parameters() if n not in trainable)


# ----------------------------------------------------------------------------- presets
def _paper_presets() -> list[Path]:
    paths = sorted((CONFIGS / "maskx_rcnn").glob("coco_*.py"))
    paths += sorted((CONFIGS / "grabcut_boxes").glob("coco_*.py")) + sorted(
        (CONFIGS / "grabcut_mask_rcnn").glob("coco_*.py"))
    return paths


def _embedded_presets() -> list[Path]:
    return sorted((CONFIGS / "maskx_rcnn").glob("embedded*.py")) + [
        CONFIGS / "grabcut_boxes" / "embedded.py", CONFIGS / "grabcut_mask_rcnn" / "embedded.py"]


def test_every_table_row_has_presets():
    names = {p.stem for p in _paper_presets()}
    rows = ["sw_transfer_randn", "sw_transfer_glove", "sw_transfer_cls", "sw_transfer_box", "sw_transfer",
            "sw_agnostic", "sw_oracle", "sw_transfer_1layer", "sw_transfer_2layer_relu", "sw_transfer_3layer_relu",
            "sw_transfer_3layer_leaky", "sw_agnostic_mlp", "sw_transfer_mlp", "e2e_agnostic", "e2e_transfer",
            "e2e_transfer_stopgrad", "e2e_maskx", "e2e_oracle"]
    for d in ("voc2nonvoc", "nonvoc2voc"):
        assert {f"coco_r50_{d}_{r}" for r in rows} <= names
        assert {f"coco_r101_{d}_{r}" for r in ("e2e_agnostic", "e2e_maskx", "e2e_oracle")} <= names
        for method in ("grabcut_boxes", "grabcut_mask_rcnn"):
            for bb in ("r50", "r101"):
                assert (CONFIGS / method / f"coco_{bb}_{d}.py").is_file()
    embedded = {p.stem for p in _embedded_presets()}
    assert {f"embedded_{r}" for r in rows if r != "e2e_maskx"} <= embedded


_NOISE = torch.randn(1 << 20, generator=torch.Generator().manual_seed(0))


@contextlib.contextmanager
def _fast_init():
    """Replace torch's parameter initialisers by a tiled fixed noise with LeCun scale (std 1/sqrt(fan_in)):
    random-looking weights that keep activations bounded, without drawing 100M random numbers per build."""
    names = ("kaiming_uniform_", "kaiming_normal_", "normal_", "uniform_", "xavier_uniform_", "xavier_normal_",
             "trunc_normal_")
    saved = {n: getattr(torch.nn.init, n) for n in names}

    def fill(t, *args, **kwargs):
        scale = (int(np.prod(t.shape[1:])) if t.dim() > 1 else 100) ** -0.5
        flat, size = t.view(-1), _NOISE.numel()
        with torch.no_grad():
            for start in range(0, flat.numel(), size):
                chunk = flat[start:start + size]
                torch.mul(_NOISE[: chunk.numel()], scale, out=chunk)
        return t

    for n in names:
        setattr(torch.nn.init, n, fill)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(torch.nn.init, n, f)


_BUILT: dict[str, torch.nn.Module] = {}
#: detector parts that most presets share unchanged; each distinct config of them is built once
_SHARED_TYPES = ("ResNet", "FPN", "RPNHead", "Shared2FCBBoxHead", "EfficientNetLite0Pyramid")
_PARTS: dict[str, torch.nn.Module] = {}


def _cfg_key(cfg) -> str:
    d = cfg.to_dict() if hasattr(cfg, "to_dict") else cfg
    return json.dumps(d, sort_keys=True, default=str)


@contextlib.contextmanager
def _shared_parts():
    """While building, identical configs of the heavy shared parts return one cached module."""
    from mmdet.registry import MODELS as MMDET_MODELS

    real = MMDET_MODELS.build

    def build(cfg, *args, **kwargs):
        kind = str(cfg.get("type", "")).split(".")[-1] if isinstance(cfg, dict) else ""
        if kind not in _SHARED_TYPES or args or kwargs:
            return real(cfg, *args, **kwargs)
        key = _cfg_key(cfg)
        if key not in _PARTS:
            _PARTS[key] = real(cfg)
        return _PARTS[key]

    MMDET_MODELS.build = build
    try:
        yield
    finally:
        del MMDET_MODELS.build


def _stage_models(cfg: Config, class_names, tmp_path: Path) -> list:
    """The model configs the preset's method builds, in stage order (as the method's stages do)."""
    masks = resolve_class_subset(cfg.split.get("mask_classes"), class_names, get_benchmark(cfg.benchmark.name))
    all_masks = cfg.method == "grabcut_mask_rcnn"
    full = complete_model(cfg, class_names, None if all_masks else class_labels(masks, class_names),
                          with_imagenet=False)
    if cfg.method == "grabcut_boxes":
        return [detector_only(full)]
    if cfg.get("training") == "stagewise":
        return [detector_only(full), mask_head_only(full, tmp_path / "stage1.pth")]
    return [full]


def _build_cached(model_cfg) -> torch.nn.Module:
    """The preset's model (one build per distinct config, ignoring ``mask_train_labels``, which is set)."""
    cfg = json.loads(_cfg_key(model_cfg))
    labels = cfg["roi_head"].pop("mask_train_labels", None)
    cfg.pop("init_cfg", None)
    key = json.dumps(cfg, sort_keys=True)
    if key not in _BUILT:
        with _fast_init(), _shared_parts():
            _BUILT[key] = MODELS.build(model_cfg)
    model = _BUILT[key]
    if hasattr(model.roi_head, "mask_train_labels"):
        model.roi_head.mask_train_labels = labels
    return model


@pytest.fixture(scope="module")
def glove_file(tmp_path_factory) -> Path:
    from wsisbench.datasets.class_names import COCO_CLASSES

    words = sorted({w for n in COCO_CLASSES + EMBEDDED_CLASSES for w in n.split()})
    path = tmp_path_factory.mktemp("glove") / "glove.txt"
    rng = np.random.default_rng(0)
    path.write_text("".join(f"{w} " + " ".join(f"{v:.3f}" for v in rng.normal(size=8)) + "\n" for w in words))
    return path


@pytest.mark.parametrize("path", _paper_presets() + _embedded_presets(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_preset_builds_and_runs_one_forward(path, glove_file, tmp_path):
    from wsisbench.datasets.class_names import COCO_CLASSES

    cfg = Config.fromfile(str(path))
    paper = cfg.benchmark.name == "coco2017"
    names = list(COCO_CLASSES) if paper else list(EMBEDDED_CLASSES)
    if paper:
        with pytest.raises(WsisbenchError, match="pretrained=PATH"):
            require_pretrained(cfg)  # no ImageNet checkpoint given: a clear error, before any training
        # keep the dummy forward small: fewer proposals and RoIs than the paper's 1000 / 512
        cfg.model.train_cfg.rpn_proposal.max_per_img = 64
        cfg.model.train_cfg.rcnn.sampler.num = 32
    else:
        cfg.model.backbone.pretrained = False
    head = cfg.model.roi_head.get("mask_head") or {}
    if head.get("transfer_input", {}).get("kind") == "embedding":
        head.transfer_input.embedding_file = str(glove_file)
    a_label = 0
    b_label = names.index("truck") if paper else names.index("ring")  # truck: non-voc
    for model_cfg in _stage_models(cfg, names, tmp_path):
        model = _build_cached(model_cfg)
        model.train()
        with torch.no_grad():
            losses = model(**model.data_preprocessor(_dummy_batch(labels=(a_label, b_label)), True), mode="loss")
        assert "loss_cls" in losses or "loss_mask" in losses
        if model.roi_head.with_mask:
            assert torch.isfinite(losses["loss_mask"])


def test_checkpoint_paths(tmp_path):
    cfg = Config.fromfile(str(CONFIGS / "maskx_rcnn" / "coco_r101_voc2nonvoc_e2e_maskx.py"))
    with pytest.raises(WsisbenchError, match="ResNet-50 .or -101"):
        require_pretrained(cfg)
    cfg.pretrained = str(tmp_path / "missing.pth")
    with pytest.raises(WsisbenchError, match="does not exist"):
        require_pretrained(cfg)
    ckpt = tmp_path / "r101.pth"
    ckpt.write_bytes(b"")
    cfg.pretrained = str(ckpt)
    require_pretrained(cfg)
    assert backbone_init_cfg(cfg) == dict(type="Pretrained", checkpoint=str(ckpt))


def test_methods_refuse_to_start_without_user_files():
    import baselines  # noqa: F401
    from wsisbench.presets import load_config
    from wsisbench.registry import METHODS

    for method, preset in (("maskx_rcnn", "coco_r50_voc2nonvoc_e2e_maskx"), ("grabcut_boxes", "coco_r50_voc2nonvoc"),
                           ("grabcut_mask_rcnn", "coco_r101_nonvoc2voc")):
        with pytest.raises(WsisbenchError, match="--cfg-options pretrained=PATH"):
            require_pretrained(load_config(method, preset))  # what the runner checks before any stage
    with pytest.raises(WsisbenchError, match="word-embedding file"):
        METHODS.get("maskx_rcnn")(load_config("maskx_rcnn", "embedded_sw_transfer_glove"))
    stages = METHODS.get("maskx_rcnn")(load_config("maskx_rcnn", "embedded_sw_transfer")).build_stages()
    assert [s.name for s in stages] == ["train_detector", "train_mask_head", "predict_val", "evaluate_val"]


def test_predict_and_evaluate_stages_write_scorable_coco_results(tmp_path):
    """An untrained embedded model through the predict and evaluate stages on a 4-image val split."""
    from wsisbench.benchmarks import get_benchmark
    from wsisbench.detection import stages
    from wsisbench.pipeline import RunContext
    from wsisbench.presets import load_config

    cfg = load_config("maskx_rcnn", "embedded")
    cfg.benchmark.update(num_train=4, num_val=4)
    cfg.model.backbone.pretrained = False
    cfg.model.test_cfg.rcnn.score_thr = 0.0  # an untrained model: keep its low-score detections
    bench = get_benchmark("embedded")
    ctx = RunContext(cfg=cfg, work_dir=tmp_path, device="cpu", launcher="none", benchmark=bench,
                     data_root=bench.resolve_root(None, params=cfg.benchmark), config_hash="test")
    model_cfg = stages.full_model(ctx, with_imagenet=False)
    torch.manual_seed(0)
    weights = tmp_path / "weights.pth"
    torch.save(MODELS.build(model_cfg).state_dict(), weights)
    (tmp_path / "predict_val").mkdir()
    summary = stages.predict(ctx, tmp_path / "predict_val", weights, model_cfg)
    records = json.loads((tmp_path / "predict_val" / "predictions" / "val.json").read_text())
    assert len(records) == summary["num_predictions"] > 0
    assert set(records[0]) == {"image_id", "category_id", "segmentation", "score"}  # no bbox: segm areas
    assert {r["category_id"] for r in records} <= set(range(1, 11))
    # qualitative samples for reports: painted masks (score >= 0.5) beside the image and its VOC-layout GT
    q = summary["qualitative"]
    assert len(q) == 4 and all(Path(s["image"]).exists() and Path(s["gt"]).exists() for s in q)
    painted = np.array(Image.open(tmp_path / q[0]["pred"]))
    assert painted.shape == np.array(Image.open(q[0]["image"])).shape[:2] and painted.max() <= 10
    result = stages.evaluate(ctx, tmp_path)
    assert set(result["evaluations"]) == {"B", "A"}
    entry = result["evaluations"]["B"]
    assert entry["protocol"] == "coco" and entry["classes"] == list(EMBEDDED_CLASSES[5:])
    assert entry["mask_supervised"] == "boxes only" and result["evaluations"]["A"]["mask_supervised"] == "masks"
    # an independent reference: pycocotools on the same files, with the B categories and every image
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(ctx.data_root / "annotations" / "instances_val.json"))
        ev = COCOeval(gt, gt.loadRes(records), iouType="segm")
        ev.params.catIds = [6, 7, 8, 9, 10]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    np.testing.assert_allclose(entry["stats"], ev.stats, atol=1e-12)


@pytest.mark.parametrize("a, b", [("voc", "nonvoc"), ("nonvoc", "voc")])
def test_coco_split_labels_match_the_dataset(shared_data, a, b):
    """On real COCO annotations: the labels that train masks (A) are exactly those whose masks the dataset
    keeps, and A / B partition the 80 classes."""
    from wsisbench.datasets.class_names import COCO_CLASSES
    from wsisbench.registry import DATASETS

    root = shared_data / "coco_mini"
    coco = get_benchmark("coco2017")
    names_a = resolve_class_subset(a, COCO_CLASSES, coco)
    names_b = resolve_class_subset(b, COCO_CLASSES, coco)
    assert len(names_a) + len(names_b) == 80 and not set(names_a) & set(names_b)
    labels_a = set(class_labels(names_a, COCO_CLASSES))
    ds = DATASETS.build(dict(type="CocoSplitDataset", data_root=str(root),
                             ann_file="annotations/instances_val2017.json",
                             data_prefix=dict(img="val2017/"), metainfo=dict(classes=tuple(COCO_CLASSES)),
                             mask_classes=names_a, test_mode=True, pipeline=[]))
    seen = {True: set(), False: set()}
    for i in range(len(ds)):
        for inst in ds.get_data_info(i)["instances"]:
            if not inst["ignore_flag"]:
                seen[inst["has_mask"]].add(inst["bbox_label"])
    assert seen[True] and seen[True] <= labels_a and not seen[False] & labels_a


@pytest.mark.slow
def test_stagewise_presets_share_one_detector_end_to_end(tmp_path, monkeypatch):
    """Two stage-wise presets with a stage cache: the second copies the first's detector instead of training
    one, both finish with one training time per stage (no profile key written twice)."""
    from wsisbench.pipeline import run_method
    from wsisbench.presets import load_config

    monkeypatch.setenv("WSISBENCH_HOME", str(tmp_path / "home"))
    tiny = {"benchmark.num_train": 16, "benchmark.num_val": 6, "img_scale": 96, "log_interval": 1,
            "detector_train.max_iters": 2, "detector_train.batch_size": 4, "mask_train.max_iters": 2,
            "mask_train.batch_size": 4, "stage_cache": str(tmp_path / "cache")}
    results = {}
    for preset in ("embedded_sw_transfer", "embedded_sw_agnostic"):
        cfg = load_config("maskx_rcnn", preset, options=tiny)
        results[preset] = json.loads(run_method(cfg, work_dir=tmp_path / preset, device="cpu").read_text())
    first, second = results["embedded_sw_transfer"], results["embedded_sw_agnostic"]
    assert "shared_from" not in first["stages"]["train_detector"]
    assert second["stages"]["train_detector"]["shared_from"].startswith(str(tmp_path / "cache"))
    weights = [(tmp_path / p / "train_detector" / "weights.pth").read_bytes() for p in results]
    assert weights[0] == weights[1]
    for result in results.values():
        assert {"detector_sec_per_iter", "sec_per_iter", "sec_per_img"} <= set(result["profile"])
        assert {"B/AP", "A/AP"} <= set(result["metrics"])
