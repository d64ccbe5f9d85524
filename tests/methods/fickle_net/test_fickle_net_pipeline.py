"""FickleNet end to end: stages and configs, closed-form maps, a tiny run, paper-preset models."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import wsisbench.methods  # noqa: F401  (registers fickle_net)
from wsisbench.errors import WsisbenchError
from wsisbench.methods.fickle_net.fast_cams import (
    blocks_to_pixel_layout,
    cam_factors,
    map_statistics,
    sample_keep_indicators,
    stochastic_cams,
)
from wsisbench.methods.fickle_net.head import FickleNetHead, center_fixed_dropout_mask
from wsisbench.methods.fickle_net.localization import class_grad_cams, fickle_localization_maps
from wsisbench.methods.fickle_net.pseudo_labels import check_saliency, foreground_precision_recall
from wsisbench.presets import list_presets, load_config
from wsisbench.registry import METHODS, MODELS

PAPER_PRESETS = ("voc2012_vgg16", "voc2012_resnet101", "voc2012_resnet101_semi")
ALL_STAGES = ["train_classifier", "localization_maps_train", "evaluate_pseudo_labels", "train_segmenter",
              "predict_val", "evaluate_val"]


@pytest.fixture(autouse=True)
def _scope():
    from mmengine.registry import init_default_scope

    torch.set_num_threads(1)
    init_default_scope("wsisbench")


def stage_names(cfg) -> list[str]:
    """The stages a run of ``cfg`` runs (the runner's selection by ``stages``), without ``check_data``."""
    from wsisbench.pipeline.stage import select_stages

    stages = select_stages(METHODS.get("fickle_net")(cfg).build_stages(), cfg.get("stages"))
    return [s.name for s in stages]


# ------------------------------------------------------------------------------------------ configs
def test_stage_list_and_every_preset_loads():
    assert stage_names(load_config("fickle_net")) == ALL_STAGES
    presets = list_presets("fickle_net")
    for name in ("embedded", "embedded_p0", "embedded_p03", "embedded_p05", "embedded_p07",
                 "embedded_general_dropout", "embedded_naive", "embedded_n10", "embedded_n300",
                 "embedded_t7_gs", *PAPER_PRESETS):
        assert name in presets
    for name in presets:
        cfg = load_config("fickle_net", name)
        assert cfg.method == "fickle_net" and stage_names(cfg)
    assert stage_names(load_config("fickle_net", "embedded_repeat_std")) == ["train_classifier",
                                                                             "repeat_inference_std"]
    p0 = load_config("fickle_net", "embedded_p0").classifier.head
    assert p0.dropout_p == 0.0 and p0.infer_selection == "deterministic"
    gs = load_config("fickle_net", "embedded_t7_gs").classifier.head
    assert (gs.train_selection, gs.infer_selection, gs.dropout_p) == ("general", "stochastic", 0.9)
    vgg = load_config("fickle_net", "voc2012_vgg16")
    assert (vgg.classifier_train.batch_size, vgg.localization.num_passes, vgg.localization.threshold) == (10, 200, 0.35)
    semi = load_config("fickle_net", "voc2012_resnet101_semi")
    assert semi.semi.enabled and semi.segmenter.loss.alpha == 2.0


def test_stage_subset_is_checked():
    cfg = load_config("fickle_net", options={"stages": ["train_classifier", "localization_maps_train"]})
    assert stage_names(cfg) == ["train_classifier", "localization_maps_train"]
    with pytest.raises(WsisbenchError, match="reads"):
        stage_names(load_config("fickle_net", options={"stages": ["localization_maps_train"]}))
    with pytest.raises(WsisbenchError, match="unknown stage"):
        stage_names(load_config("fickle_net", options={"stages": ["nope"]}))


def test_presets_that_differ_after_training_share_one_classifier():
    from wsisbench.methods.fickle_net.stages import classifier_share
    from wsisbench.utils.hashing import stable_hash

    def key(preset):
        return stable_hash(classifier_share(load_config("fickle_net", preset)))

    # aggregation and the inference selection act after training; p, the training selection and the draw do not
    assert key("mechanism") == key("mechanism_mean_aggregation") == key("mechanism_t7_sd")
    assert key("mechanism_general_dropout_p09") == key("mechanism_t7_gd") == key("mechanism_t7_gs")
    keys = {key(p) for p in ("mechanism", "mechanism_p0", "mechanism_shared_draw", "mechanism_t7_gd", "embedded")}
    assert len(keys) == 5
    assert key("mechanism") != stable_hash(classifier_share(load_config("fickle_net", "mechanism",
                                                                           options={"seed": 7})))


# ------------------------------------------------------------------------------- closed-form maps
def test_closed_form_grad_cam_equals_autograd_for_the_same_mask():
    gen = torch.Generator().manual_seed(0)
    c, h, w, k, p = 6, 5, 7, 3, 0.6
    head = FickleNetHead(c, 4, k, p).eval()
    x = torch.randn(c, h, w, generator=gen).relu()
    n = 3
    mask = center_fixed_dropout_mask(n, c, h, w, k, p, generator=gen)
    xs = x[None].expand(n, -1, -1, -1).clone().requires_grad_(True)
    reference = class_grad_cams(xs, head(xs, mask=mask), [1, 3])
    pixel = blocks_to_pixel_layout(mask, k)  # [n, C, k*k, H, W]
    others = [o for o in range(k * k) if o != (k * k) // 2]
    keep = (pixel[:, :, others] > 0).float().reshape(n, c * len(others), h * w).permute(2, 0, 1)
    factors, centre = cam_factors(x, head.weight.detach(), [1, 3], p)
    ours = stochastic_cams(factors, centre, keep, h, w)
    assert torch.allclose(ours, reference, atol=1e-7, rtol=1e-5)


def test_closed_form_with_one_draw_shared_by_all_channels():
    from wsisbench.methods.fickle_net.fast_cams import shared_draw_factors

    gen = torch.Generator().manual_seed(2)
    c, h, w, k, p = 5, 4, 6, 3, 0.7
    head = FickleNetHead(c, 3, k, p, dropout_draw="shared").eval()
    x = torch.randn(c, h, w, generator=gen).relu()
    n = 4
    mask = center_fixed_dropout_mask(n, c, h, w, k, p, generator=gen, draw="shared")
    assert torch.equal(mask, mask[:, :1].expand_as(mask))  # the same decision for every channel
    xs = x[None].expand(n, -1, -1, -1).clone().requires_grad_(True)
    reference = class_grad_cams(xs, head(xs, mask=mask), [0, 2])
    pixel = blocks_to_pixel_layout(mask, k)[:, 0]  # [n, k*k, H, W]: channel 0 stands for all
    others = [o for o in range(k * k) if o != (k * k) // 2]
    keep = (pixel[:, others] > 0).float().reshape(n, len(others), h * w).permute(2, 0, 1)
    factors, centre = cam_factors(x, head.weight.detach(), [0, 2], p)
    ours = stochastic_cams(shared_draw_factors(factors, c), centre, keep, h, w)
    assert torch.allclose(ours, reference, atol=1e-7, rtol=1e-5)
    # and the head's fast path takes that route: its maps differ from the per-channel draw's
    kw = dict(chunk=4, out_size=(h, w), generator=torch.Generator().manual_seed(0))
    per_channel = FickleNetHead(c, 3, k, p).eval()
    per_channel.load_state_dict(head.state_dict())
    (shared_maps,) = map_statistics(x, head, [0, 2], [8], **kw)
    (channel_maps,) = map_statistics(x, per_channel, [0, 2], [8], chunk=4, out_size=(h, w),
                                     generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(shared_maps.mean, channel_maps.mean)


def test_union_and_mean_aggregation():
    from wsisbench.methods.fickle_net.localization import aggregate_maps

    mean = torch.tensor([[[0.2, 0.5]]])  # one class, two pixels
    peak = torch.tensor([[[0.6, 0.6]]])  # both exceed 0.35 in some pass; only the second on average
    union = aggregate_maps(mean, peak, [4], threshold=0.35, bg_threshold=0.0)
    by_mean = aggregate_maps(mean, peak, [4], threshold=0.35, bg_threshold=0.0, aggregation="mean")
    assert union.tolist() == [[5, 5]] and by_mean.tolist() == [[255, 5]]


def test_keep_indicators_rate_and_deterministic_fallback():
    keep = sample_keep_indicators(50, 40, 90, 0.9, generator=torch.Generator().manual_seed(1))
    assert keep.shape == (50, 40, 90) and set(keep.unique().tolist()) <= {0.0, 1.0}
    assert abs(keep.mean().item() - 0.1) < 0.01
    head = FickleNetHead(4, 3, 3, 0.0, train_selection="deterministic", infer_selection="deterministic").eval()
    x = torch.rand(4, 6, 6)
    got = map_statistics(x, head, [0, 2], [10, 20], out_size=(12, 12))
    ref = fickle_localization_maps(x, head, [0, 2], 1, 1, (12, 12))
    assert [m.num_passes for m in got] == [10, 20]
    assert torch.allclose(got[1].mean, ref.mean) and torch.allclose(got[1].peak, ref.peak)


def test_stochastic_statistics_are_sane():
    head = FickleNetHead(8, 5, 3, 0.9).eval()
    x = torch.rand(8, 6, 6)
    short, long = map_statistics(x, head, [1, 4], [5, 40], chunk=7, out_size=(12, 12),
                                 generator=torch.Generator().manual_seed(0))
    assert short.mean.shape == (2, 12, 12) and long.num_passes == 40
    assert bool((long.peak >= long.mean - 1e-6).all()) and float(long.peak.max()) <= 1.0 + 1e-6
    assert bool((long.peak >= short.peak - 1e-6).all())  # the 5 passes are a prefix of the 40


def test_foreground_precision_recall():
    m = torch.tensor([[5, 1, 0], [2, 3, 1], [0, 0, 4]]).numpy()
    precision, recall = foreground_precision_recall(m)
    assert precision == pytest.approx(7 / 9) and recall == pytest.approx(7 / 10)


# --------------------------------------------------------------------------------- segmenter loss
def test_segmenter_loss_weak_and_semi_batch():
    cfg = load_config("fickle_net", "embedded_semi")
    model_cfg = cfg.segmenter.to_dict()
    model_cfg["num_classes"] = 4
    model_cfg["backbone"] = dict(type="SmallConvNet", widths=(4, 4, 8, 8))
    model_cfg["decode_head"]["in_channels"] = 8
    model = MODELS.build(model_cfg)
    seeds = torch.full((2, 32, 32), 255, dtype=torch.long)
    seeds[:, :8] = 0
    seeds[:, 20:, 20:] = 2
    samples = [dict(seeds=seeds[i], image_labels=torch.tensor([0.0, 1.0, 0.0]), is_full=bool(i),
                    full_labels=torch.randint(0, 4, (32, 32))) for i in range(2)]
    batch = model.data_preprocessor({"inputs": [torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)] * 2,
                                     "data_samples": samples}, True)
    losses = model(batch["inputs"], batch["data_samples"], mode="loss")
    assert set(losses) == {"loss_seed", "loss_boundary", "loss_full"}
    assert all(torch.isfinite(v) for v in losses.values()) and losses["loss_full"] > 0
    sum(losses.values()).backward()


# ------------------------------------------------------------------------------- tiny end to end
def test_tiny_end_to_end(tmp_path, monkeypatch, semantic_reference):
    from wsisbench.pipeline import run_method

    monkeypatch.setenv("WSISBENCH_HOME", str(tmp_path / "home"))
    cfg = load_config("fickle_net", options={
        "benchmark.num_train": 24, "benchmark.num_val": 8, "benchmark.image_size": 64,
        "classifier_train.max_iters": 3, "classifier_train.batch_size": 4,
        "segmenter_train.max_iters": 2, "segmenter_train.batch_size": 4,
        "localization.num_passes": 8, "localization.chunk": 4, "localization.bg_threshold_sweep": [0.05, 0.2],
        "segmenter.loss_size": (16, 16), "log_interval": 1})
    result = json.loads(run_method(cfg, work_dir=tmp_path / "run", device="cpu").read_text())
    ev = result["evaluations"]
    assert {"pseudo_train", "pseudo_train_seeds", "val"} <= set(ev)
    assert ev["pseudo_train"]["split"] == "train" and ev["pseudo_train"]["num_images"] == 24
    assert ev["val"]["num_images"] == 8
    # the reported numbers equal an independent count over the label maps the run wrote
    voc = Path(result["data_fingerprint"]["root"]) / "VOC2012"
    val_ids = (voc / "ImageSets" / "Segmentation" / "val.txt").read_text().split()
    ref = semantic_reference([(voc / "SegmentationClass" / f"{i}.png", tmp_path / "run" / "predict_val" / "labels"
                               / f"{i}.png") for i in val_ids], num_classes=11)
    assert ev["val"]["metrics"]["mIoU"] == pytest.approx(ref["mIoU"], abs=1e-12)
    train_ids = (voc / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    seeds = tmp_path / "run" / "localization_maps_train" / "seeds"
    ref = semantic_reference([(voc / "SegmentationClass" / f"{i}.png", seeds / f"{i}.png") for i in train_ids],
                             num_classes=11, background_out_of_range=True)  # unassigned (255) scored as background
    assert ev["pseudo_train"]["metrics"]["mIoU"] == pytest.approx(ref["mIoU"], abs=1e-12)
    gt = np.concatenate([np.asarray(Image.open(voc / "SegmentationClass" / f"{i}.png")).ravel() for i in train_ids])
    sd = np.concatenate([np.asarray(Image.open(seeds / f"{i}.png")).ravel() for i in train_ids])
    coverage = np.count_nonzero((gt != 255) & (sd != 255)) / np.count_nonzero(gt != 255)
    assert ev["pseudo_train_seeds"]["metrics"]["coverage"] == pytest.approx(coverage, abs=1e-12)
    # sec_per_img is the prediction time on the evaluated split; the maps have their own timing
    assert {"sec_per_img", "maps_sec_per_img", "segmenter_sec_per_iter"} <= set(result["profile"])
    assert result["metrics"]["time/sec_per_img"] == result["profile"]["sec_per_img"]
    assert "val/mIoU" in result["metrics"] and "pseudo_train/mIoU" in result["metrics"]
    seeds = sorted((tmp_path / "run" / "localization_maps_train" / "seeds").glob("*.png"))
    assert len(seeds) == 24
    # qualitative samples for reports: seeds and the mean stochastic map of a few train images
    q = result["qualitative"]
    assert len(q) == 4 and all({"image", "gt", "pred", "cam"} <= set(s) for s in q)
    mean_map = np.load(tmp_path / "run" / q[0]["cam"])
    assert mean_map.ndim == 3 and mean_map.shape[-2:] == (64, 64) and 0 <= mean_map.min() <= mean_map.max() <= 1


# ------------------------------------------------------------------------------- paper presets
def _distinct_models() -> dict[str, tuple[str, dict]]:
    """Every (preset, network) model config of the paper presets, identical configs built once."""
    models = {}
    for preset in PAPER_PRESETS:
        cfg = load_config("fickle_net", preset)
        for key, classes in (("classifier", 20), ("segmenter", 21)):
            model = cfg[key].to_dict()
            model["num_classes"] = classes
            models.setdefault(json.dumps(model, sort_keys=True, default=str), (f"{preset}:{key}", model))
    return models


def test_paper_preset_models_build_and_run_forward():
    built = []
    for name, model_cfg in _distinct_models().values():
        model = MODELS.build(model_cfg).eval()
        with torch.no_grad():
            out = model(torch.randn(1, 3, 33, 33))
        expected = 20 if name.endswith("classifier") else 21
        assert out.shape[:2] == (1, expected), name
        built.append(name)
    assert {"voc2012_vgg16:classifier", "voc2012_vgg16:segmenter", "voc2012_resnet101:segmenter"} <= set(built)


def test_paper_preset_needs_checkpoints_and_saliency(tmp_path):
    from wsisbench.pipeline.preflight import require_pretrained

    ckpt = tmp_path / "w.pth"
    torch.save({}, ckpt)
    cfg = load_config("fickle_net", "voc2012_vgg16")  # one VGG-16 checkpoint for both networks
    with pytest.raises(WsisbenchError, match=r"--cfg-options pretrained=PATH"):
        require_pretrained(cfg)
    cfg.pretrained = str(ckpt)
    require_pretrained(cfg)
    cfg = load_config("fickle_net", "voc2012_resnet101_semi")  # VGG-16 classifier, ResNet-101 segmenter
    with pytest.raises(WsisbenchError, match=r"pretrained\.classifier=PATH"):
        require_pretrained(cfg)
    cfg.pretrained.classifier = str(ckpt)
    with pytest.raises(WsisbenchError, match=r"pretrained\.segmenter=PATH"):
        require_pretrained(cfg)
    cfg.pretrained.segmenter = str(tmp_path / "missing.pth")
    with pytest.raises(WsisbenchError, match="does not exist"):
        require_pretrained(cfg)
    cfg.pretrained.segmenter = str(ckpt)
    require_pretrained(cfg)
    with pytest.raises(WsisbenchError, match="saliency_dir"):
        check_saliency(cfg)
    cfg.localization.saliency_dir = str(tmp_path)
    assert check_saliency(cfg) == tmp_path
    with pytest.raises(WsisbenchError, match="does not exist"):
        MODELS.build(dict(type="DeepLabVGG16", pretrained=str(tmp_path / "nope.pth")))


def test_vgg16_checkpoint_keys_follow_torchvision(tmp_path):
    from wsisbench.models.segmentors import DeepLabVGG16

    net = DeepLabVGG16(with_pool5=False)
    convs = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # torchvision vgg16().features conv indices
    assert sorted({int(k.split(".")[1]) for k in net.state_dict()}) == convs
    state = {f"features.{i}.weight": torch.full_like(net.features[i].weight, 0.5) for i in convs}
    state["classifier.0.weight"] = torch.zeros(4096, 25088 // 256)  # a torchvision fc layer: skipped
    torch.save({"state_dict": state}, tmp_path / "vgg.pth")
    loaded = DeepLabVGG16(with_pool5=False, pretrained=str(tmp_path / "vgg.pth"))
    assert loaded.load_report["loaded"] == len(convs)
    assert torch.all(loaded.features[28].weight == 0.5)
    with pytest.raises(WsisbenchError, match="no tensor"):
        torch.save({"foo": torch.zeros(1)}, tmp_path / "other.pth")
        DeepLabVGG16(pretrained=str(tmp_path / "other.pth"))


def test_unused_backbone_parameters_are_frozen_for_ddp():
    cfg = load_config("fickle_net")
    model_cfg = cfg.classifier.to_dict()
    model_cfg["num_classes"] = 10
    model = MODELS.build(model_cfg)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"net.backbone.net._conv_head.weight", "net.backbone.net._bn1.weight",
                      "net.backbone.net._bn1.bias", "net.backbone.net._fc.weight", "net.backbone.net._fc.bias"}
