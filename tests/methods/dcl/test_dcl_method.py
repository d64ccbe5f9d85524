"""Deep Community Learning as a method: presets, the shared network, the inference and post-processing helpers,
the training inputs, and one tiny end-to-end run."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import wsisbench.methods  # noqa: F401  (registers dcl)
from wsisbench.errors import DataError
from wsisbench.methods.dcl.data import LoadProposalBoxes, load_boxes, save_boxes, transform_boxes
from wsisbench.methods.dcl.stages import (
    best_matching_proposals,
    inference_views,
    unview_boxes,
    view_boxes,
)
from wsisbench.presets import list_presets, load_config
from wsisbench.proposals.source import masks_to_boxes
from wsisbench.registry import METHODS, MODELS

MECHANISM = ("mechanism", "mechanism_midn_only", "mechanism_regressor_none", "mechanism_regressor_specific",
             "mechanism_smoothing", "mechanism_table1_cams1", "mechanism_table1_cams2", "mechanism_table1_cams3",
             "mechanism_table1_cams4", "mechanism_segmentation")
EMBEDDED = ("embedded", "embedded_small") + MECHANISM
PAPER = ("voc2012", "voc2012_regressor_none", "voc2012_regressor_specific", "voc2012_smoothing",
         "voc2012_table1_cams1", "voc2012_table1_cams2", "voc2012_table1_cams3", "voc2012_table1_cams4",
         "voc2012_segmentation")


@pytest.fixture(autouse=True)
def _scope():
    from mmengine.registry import init_default_scope

    torch.set_num_threads(1)
    init_default_scope("wsisbench")


def _network(cfg, classes: int):
    torch.manual_seed(0)
    model = cfg.model.to_dict()
    model["num_classes"] = classes
    if cfg.model.backbone.type == "EfficientNetLite0Pyramid":
        model["backbone"]["pretrained"] = False   # shapes only
    return MODELS.build(model)


def test_every_preset_loads_with_its_stages():
    from wsisbench.pipeline.stage import select_stages

    assert sorted(list_presets("dcl")) == sorted(EMBEDDED + PAPER)
    for name in EMBEDDED + PAPER:
        cfg = load_config("dcl", name)
        stages = [s.name for s in select_stages(METHODS.get("dcl")(cfg).build_stages(), cfg.get("stages"))]
        assert stages == ["proposals_train", "proposals_val", "train_network", "predict_val", "evaluate_val"]
        if name in EMBEDDED:
            assert cfg.benchmark.name == "mechanism" and cfg.benchmark.body_family == "random"
            assert cfg.cpu_threads == (1 if name in MECHANISM else None)
    a, b = load_config("dcl", "embedded").to_dict(), load_config("dcl", "mechanism").to_dict()
    assert sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)) == ["cpu_threads", "preset"]
    for n in (1, 2, 3, 4):
        cfg = load_config("dcl", f"voc2012_table1_cams{n}")   # the paper's rows: one network per row
        assert cfg.model.cams.num_levels == n and cfg.model.detector.regressor == "none"
        assert cfg.postprocess.best_proposal is False
        cfg = load_config("dcl", f"mechanism_table1_cams{n}")   # stage-wise: the full model's network
        assert cfg.test.cam_levels == n and cfg.test.regress is False and cfg.postprocess.best_proposal is False
    assert load_config("dcl", "mechanism_midn_only").test.scores == "midn"
    assert load_config("dcl", "mechanism_regressor_none").test.regress is False


def test_stage_wise_presets_share_the_full_models_network():
    """The claims' sides differ at test time only, so one trained network per seed serves all of them."""
    from wsisbench.methods.dcl.stages import network_share

    full = network_share(load_config("dcl", "mechanism"))
    for name in ("mechanism_midn_only", "mechanism_regressor_none", "mechanism_table1_cams1",
                 "mechanism_table1_cams2", "mechanism_table1_cams3", "mechanism_table1_cams4"):
        assert network_share(load_config("dcl", name)) == full, name
    for name in ("mechanism_regressor_specific", "mechanism_smoothing", "mechanism_segmentation", "embedded"):
        assert network_share(load_config("dcl", name)) != full, name
    other_seed = load_config("dcl", "mechanism")
    other_seed.seed = 7
    assert network_share(other_seed) != full


def test_test_time_options_pick_scores_boxes_and_cam_levels():
    from wsisbench.methods.dcl.cam_levels import fuse_cams

    net = _network(load_config("dcl", "mechanism"), 6).eval()
    x = torch.randn(1, 3, 128, 128)
    boxes = torch.tensor([[0.0, 0.0, 64.0, 64.0], [20.0, 30.0, 120.0, 110.0], [50.0, 5.0, 90.0, 60.0]])
    refined, regressed, cam4 = net.predict_image(x, boxes)   # default: every trained level
    cam3 = net.predict_image(x, boxes, cam_levels=3)[2]
    midn, kept, cam1 = net.predict_image(x, boxes, scores="midn", regress=False, cam_levels=1)
    rois = net.detector.roi_features(net.levels(x)["res4"], boxes)
    assert torch.allclose(midn, net.detector.midn(rois).proposal_scores)
    assert not torch.allclose(midn, refined)
    assert torch.equal(kept, boxes) and not torch.equal(regressed, boxes)
    _, cams = net.cams(net.levels(x))
    assert torch.allclose(cam1, cams[0, 0]) and torch.allclose(cam3, fuse_cams(cams[0, :3]))
    assert torch.allclose(cam4, fuse_cams(cams[0]))
    with pytest.raises(ValueError, match="cam_levels"):
        net.predict_image(x, boxes, cam_levels=5)
    with pytest.raises(ValueError, match="scores"):
        net.predict_image(x, boxes, scores="best")


@pytest.mark.parametrize("preset", ("mechanism", "mechanism_midn_only", "mechanism_regressor_specific",
                                    "mechanism_table1_cams4", "mechanism_smoothing"))
def test_embedded_networks_train_and_predict(preset):
    cfg = load_config("dcl", preset)
    net = _network(cfg, 6)
    x = torch.randn(2, 3, 128, 128)
    boxes = torch.tensor([[0.0, 0.0, 64.0, 64.0], [20.0, 30.0, 120.0, 110.0], [50.0, 5.0, 90.0, 60.0]])
    labels = torch.tensor([[1.0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0]])
    losses = net.loss(x, [{"gt_labels": labels[i], "proposals": boxes} for i in range(2)])
    expected = {"loss_midn", "loss_cam"}
    expected |= {"loss_refine"} if cfg.model.detector.num_refinements else set()
    expected |= {"loss_regress"} if cfg.model.detector.regressor != "none" else set()
    assert set(losses) == expected
    sum(losses.values()).backward()
    assert net.cams.levels["res5"].conv.conv.weight.grad.abs().sum() > 0
    net.eval()
    scores, out_boxes, cam = net.predict_image(x[:1], boxes)
    assert scores.shape == (3, 6) and torch.all(scores >= 0)
    assert out_boxes.shape == ((3, 6, 4) if cfg.model.detector.regressor == "specific" else (3, 4))
    assert cam.shape == (6, 16, 16)   # the IMG grid: 16 x 16 at 128 px


@pytest.mark.parametrize("preset", PAPER)
def test_paper_presets_build_and_run_one_forward(preset):
    cfg = load_config("dcl", preset)
    net = _network(cfg, 20).eval()
    x = torch.randn(1, 3, 224, 224)
    boxes = torch.tensor([[0.0, 0.0, 112.0, 112.0], [40.0, 60.0, 220.0, 200.0]])
    scores, _, cam = net.predict_image(x, boxes)
    assert scores.shape == (2, 20) and cam.shape == (20, 28, 28)   # the paper's 28 x 28 CAM grid
    assert len(net.cams.level_names) == cfg.model.cams.num_levels
    assert net.detector.roi_channels == 2048 and isinstance(net.backbone.norm1, torch.nn.GroupNorm)


@pytest.mark.parametrize("preset", PAPER)
def test_paper_presets_refuse_to_start_without_checkpoint_and_proposals(
        preset, refuses_without_checkpoint_and_proposals):
    refuses_without_checkpoint_and_proposals(load_config("dcl", preset))


def test_masks_to_boxes_spans_each_mask():
    masks = np.zeros((3, 6, 8), dtype=bool)
    masks[0, 2, 3] = True                  # one pixel
    masks[1, 1:4, 2:7] = True
    boxes = masks_to_boxes(masks)          # masks[2] is empty
    assert boxes.dtype == np.float32
    assert boxes.tolist() == [[3, 2, 4, 3], [2, 1, 7, 4], [0, 0, 0, 0]]


def test_proposal_boxes_follow_resize_and_flip(tmp_path):
    boxes = np.array([[10, 20, 30, 60]], dtype=np.float32)
    assert transform_boxes(boxes, (2.0, 0.5)).tolist() == [[20, 10, 60, 30]]
    assert transform_boxes(boxes, None, flip=True, width=100).tolist() == [[70, 20, 90, 60]]
    path = save_boxes(tmp_path / "boxes.npz", {"a": boxes, "b": np.zeros((0, 4))})
    assert load_boxes(path)["a"].tolist() == boxes.tolist()
    step = LoadProposalBoxes(str(path))
    out = step.transform({"img_id": "a", "img": np.zeros((80, 100, 3), np.uint8), "flip": True,
                          "flip_direction": "horizontal", "scale_factor": (1.0, 1.0)})
    assert out["proposals"].tolist() == [[70, 20, 90, 60]]
    with pytest.raises(DataError, match="no proposal boxes for image 'c'"):
        step.transform({"img_id": "c", "img": np.zeros((8, 8, 3), np.uint8)})
    with pytest.raises(DataError, match="has no proposal"):
        step.transform({"img_id": "b", "img": np.zeros((8, 8, 3), np.uint8)})


def test_test_views_and_their_boxes_round_trip():
    views = inference_views((100, 200), (50, 100, 150), True, max_size=250)
    assert views == [(0.5, False), (0.5, True), (1.0, False), (1.0, True), (1.25, False), (1.25, True)]
    boxes = torch.tensor([[10.0, 5.0, 60.0, 40.0], [0.0, 0.0, 200.0, 100.0]])
    for factor, flipped in views:
        width = round(200 * factor)
        there = view_boxes(boxes, factor, flipped, width)
        assert torch.all(there[:, 2] >= there[:, 0])
        torch.testing.assert_close(unview_boxes(there, factor, flipped, width), boxes)
    per_class = boxes[:, None].expand(2, 3, 4).clone()   # [R, C, 4] of a class-specific regressor
    torch.testing.assert_close(unview_boxes(view_boxes(boxes, 2.0, True, 400)[:, None].expand(2, 3, 4),
                                             2.0, True, 400), per_class)


def test_post_processing_takes_the_best_matching_proposal():
    masks = np.zeros((2, 10, 10), dtype=bool)
    masks[0, 0:4, 0:4] = True
    proposals = np.zeros((3, 10, 10), dtype=bool)
    proposals[0, 5:10, 5:10] = True
    proposals[1, 0:5, 0:5] = True          # IoU 16 / 25 with masks[0]
    proposals[2, 0:3, 0:3] = True          # IoU 9 / 16
    out, iou = best_matching_proposals(masks, proposals)
    assert np.array_equal(out[0], proposals[1]) and iou[0] == pytest.approx(0.64)
    assert not out[1].any() and iou[1] == 0   # an empty mask matches nothing and stays


@pytest.mark.slow
def test_a_tiny_run_end_to_end(tmp_path, monkeypatch):
    import json

    from wsisbench.pipeline import run_method

    monkeypatch.setenv("WSISBENCH_HOME", str(tmp_path / "home"))
    cfg = load_config("dcl", "embedded", options={
        "benchmark.num_train": 8, "benchmark.num_val": 4, "train.max_iters": 2, "train.batch_size": 2,
        "proposals.max_proposals": 20, "test.scales": [128], "model.backbone.pretrained": False})
    run_method(cfg, work_dir=tmp_path / "run", device="cpu")
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    metrics = result["evaluations"]["val"]["metrics"]
    assert set(metrics) >= {"mAP@0.25", "mAP@0.5", "mAP@0.7", "mAP@0.75", "ABO"}
    assert 0 <= metrics["ABO"] <= 1 and result["profile"]["postprocess_sec_per_img"] >= 0
    assert result["profile"]["proposals_train_sec_per_img"] > 0
    predictions = json.loads((tmp_path / "run" / "predict_val" / "predictions" / "val.json").read_text())
    assert predictions and all(p["category_id"] >= 1 and p["segmentation"]["counts"] for p in predictions)


def test_maps_of_a_padded_input_are_cut_to_the_view_before_they_reach_the_image():
    from wsisbench.methods.dcl.stages import map_to_image

    # a 4 x 4 map over a 64 x 64 padded input whose view is 48 x 32: the left 3 / 2 columns and top 3 rows hold
    # the image; values mark columns so that a misplaced map shows
    m = torch.arange(4.0).repeat(4, 1)[None]          # [1, 4, 4], value = column index
    out = map_to_image(m, (64, 64), (48, 32), (48, 32), flipped=False)
    assert out.shape == (1, 48, 32)
    assert out[0, :, -1].max() <= 1.5                 # the image's right edge is the map's column ~1, not 3
    same = map_to_image(m, (48, 32), (48, 32), (24, 16), flipped=True)   # no padding: one resize, flipped
    assert torch.allclose(same, torch.nn.functional.interpolate(m[None], size=(24, 16), mode="bilinear",
                                                                align_corners=False)[0].flip(-1))


def test_pyramid_strides_and_a_detector_on_res5():
    """``out_stride`` keeps the deeper levels at that stride; ``roi_level='res5'`` pools RoIs from the backbone's
    own res5, which the IMG module then uses as its res5 level (no whole-image run of the RoI stage)."""
    from wsisbench.models.backbones.efficientnet_pyramid import EfficientNetLite0Pyramid

    x = torch.randn(1, 3, 128, 128)
    for stride, sides in ((32, (32, 16, 8, 4)), (16, (32, 16, 8, 8)), (8, (32, 16, 16, 16))):
        net = EfficientNetLite0Pyramid(out_indices=(0, 1, 2, 3), out_stride=stride, pretrained=False).eval()
        assert tuple(o.shape[-1] for o in net(x)) == sides
    cfg = load_config("dcl", "mechanism")
    cfg.model.backbone.out_indices = (0, 1, 2, 3)
    cfg.model.roi_level = "res5"
    net = _network(cfg, 6)
    boxes = torch.tensor([[0.0, 0.0, 64.0, 64.0], [20.0, 30.0, 120.0, 110.0]])
    labels = torch.tensor([[1.0, 0, 0, 1, 0, 0]])
    feats = net.levels(x)
    assert feats["res5"].shape[1] == 320 and net.detector.roi_align.spatial_scale == 1 / 16
    losses = net.loss(x, [{"gt_labels": labels[0], "proposals": boxes}])
    sum(losses.values()).backward()
    assert net.backbone.net._blocks[15]._project_conv.weight.grad.abs().sum() > 0   # res5 trains via both paths
    scores, _, cam = net.eval().predict_image(x, boxes)
    assert scores.shape == (2, 6) and cam.shape == (6, 16, 16)
    with pytest.raises(ValueError, match="res5"):
        bad = load_config("dcl", "mechanism")
        bad.model.roi_level = "res5"   # a backbone that stops at res4
        _network(bad, 6)
