"""NoPeopleAllowed as a method: presets and stages, label preparation on a generated benchmark, the strong
augmentation, F1 model selection, CAM + CRF label maps, IRNet and the random-walk label maps, the paper presets'
three networks, a tiny end-to-end run that scores the three steps."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import wsisbench.methods  # noqa: F401  (registers no_people_allowed)
from wsisbench.errors import WsisbenchError
from wsisbench.methods.no_people_allowed.augment import StrongAugment
from wsisbench.methods.no_people_allowed.selection import image_label_f1
from wsisbench.methods.no_people_allowed.stages import (
    confident_images,
    crf_label_map,
    merge_person,
    propagated_label_map,
)
from wsisbench.presets import list_presets, load_config
from wsisbench.registry import METHODS, MODELS

METHOD = "no_people_allowed"
STAGES = ["prepare_labels", "train_classifier", "cams_crf", "evaluate_step1", "train_irnet", "random_walk_labels",
          "evaluate_step2", "train_segmenter", "segment", "evaluate_step3"]
PERSON_STAGES = ["train_person_classifier", "person_labels"]
STEP1_ONLY = ("mechanism_keep_person", "mechanism_no_balance")
PAPER_PRESETS = ["lid2020", "lid2020_no_tta", "lid2020_person", "lid2020_thr05", "lid2020_thr05_no_tta",
                 "lid2020_r101_thr05", "lid2020_r101_thr05_no_tta"]


@pytest.fixture(autouse=True)
def _scope():
    from mmengine.registry import init_default_scope

    torch.set_num_threads(1)
    init_default_scope("wsisbench")


@pytest.fixture
def home(tmp_path_factory, monkeypatch) -> Path:
    """One WSISBENCH_HOME for this module's tests, so a generated instance is made once."""
    path = tmp_path_factory.getbasetemp() / "npa_home"
    monkeypatch.setenv("WSISBENCH_HOME", str(path))
    return path


def _stage_names(cfg) -> list[str]:
    from wsisbench.pipeline.stage import select_stages

    return [s.name for s in select_stages(METHODS.get(METHOD)(cfg).build_stages(), cfg.get("stages"))]


def _read_lines(path: Path) -> dict[str, list[int]]:
    """A LID label list as ``{id: [1-based class ids]}``."""
    out = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        out[parts[0]] = [int(c) for c in parts[1:]]
    return out


# ------------------------------------------------------------------------------------------ configs
def test_every_preset_loads_with_its_stages():
    presets = list_presets(METHOD)
    assert {"embedded", "embedded_small", "mechanism", "mechanism_keep_person", "mechanism_no_balance",
            "lid2020"} <= set(presets)
    assert {"embedded_no_tta", "embedded_irnet_thr05", "embedded_person", "mechanism_no_tta", *PAPER_PRESETS} <= set(
        presets)
    for name in presets:
        cfg = load_config(METHOD, name)
        person = name in ("embedded_person", "lid2020_person")
        expected = STAGES[:7] + PERSON_STAGES + STAGES[7:] if person else STAGES
        if name in STEP1_ONLY:   # the claims about the label preparation read Step 1 only
            expected = STAGES[:STAGES.index("evaluate_step1") + 1]
        assert cfg.method == METHOD and _stage_names(cfg) == expected, name
        assert cfg.person.enabled == person, name
    emb = load_config(METHOD)
    assert emb.benchmark.name == "mechanism" and emb.benchmark.person_rate == 0.6
    assert emb.benchmark.person_label_drop == 0.3 and emb.benchmark.imbalance < 1
    assert load_config(METHOD, "mechanism").cpu_threads == 1
    assert load_config(METHOD, "mechanism_keep_person").labels.remove_person is False
    assert load_config(METHOD, "mechanism_no_balance").labels.balance_target is None


def test_paper_preset_builds_runs_a_forward_pass_and_needs_its_checkpoint(tmp_path):
    from mmengine.optim import build_optim_wrapper

    from wsisbench.pipeline.preflight import require_pretrained

    cfg = load_config(METHOD, "lid2020")
    assert cfg.benchmark.name == "lid2020" and cfg.labels.remove_person
    with pytest.raises(WsisbenchError, match=r"--cfg-options pretrained.classifier=PATH"):
        require_pretrained(cfg)
    cfg.pretrained.classifier = str(tmp_path / "missing.pth")
    with pytest.raises(WsisbenchError, match="pretrained.classifier: checkpoint .*missing.pth does not exist"):
        require_pretrained(cfg)
    model_cfg = cfg.model.to_dict()
    model_cfg["num_classes"] = 200
    model = MODELS.build(model_cfg).eval()
    with torch.no_grad():
        logits = model(torch.rand(1, 3, 64, 64) * 255)
        maps = model.class_maps(torch.rand(1, 3, 64, 64))
    assert logits.shape == (1, 200) and maps.shape == (1, 200, 8, 8)  # output stride 8
    # Adam: 1e-4 for the ImageNet VGG-16, 1e-3 for the 4 new layers (3 extra convs + the class conv)
    optim = build_optim_wrapper(model, cfg.train.optim_wrapper)
    lrs = {}
    for group in optim.optimizer.param_groups:
        for p in group["params"]:
            lrs[id(p)] = group["lr"]
    for name, p in model.named_parameters():
        assert lrs[id(p)] == pytest.approx(1e-4 if name.startswith("backbone.vgg.") else 1e-3), name
    # a torchvision-layout checkpoint loads into the VGG-16 part
    state = {k.removeprefix("backbone.vgg."): v.clone() for k, v in model.state_dict().items()
             if k.startswith("backbone.vgg.features.0.")}
    torch.save(state, tmp_path / "vgg16.pth")
    cfg.pretrained.classifier = str(tmp_path / "vgg16.pth")
    with pytest.raises(WsisbenchError, match=r"--cfg-options pretrained.irnet=PATH"):
        require_pretrained(cfg)
    cfg.pretrained.irnet = str(tmp_path / "vgg16.pth")
    with pytest.raises(WsisbenchError, match=r"--cfg-options pretrained.segmenter=PATH"):
        require_pretrained(cfg)
    cfg.pretrained.segmenter = str(tmp_path / "vgg16.pth")
    require_pretrained(cfg)


def _lrs(model, optim_cfg) -> dict[str, float]:
    from mmengine.optim import build_optim_wrapper

    optim = build_optim_wrapper(model, optim_cfg)
    by_id = {id(p): g["lr"] for g in optim.optimizer.param_groups for p in g["params"]}
    return {n: by_id[id(p)] for n, p in model.named_parameters() if p.requires_grad}


def test_paper_presets_irnet_and_deeplab_build_and_run_a_forward_pass():
    """Steps 2 and 3 of the paper presets: IRNet on a frozen ResNet-50 (radius 10, lr 0.05 / 0.005) and
    DeepLabv3+ on a dilated ResNet-50 or -101 (output stride 8, SGD lr 0.001 and 10x on the head)."""
    for name in PAPER_PRESETS:
        cfg = load_config(METHOD, name)
        assert cfg.requires_pretrained and set(cfg.pretrained) == {"classifier", "irnet", "segmenter"}, name
        assert cfg.irnet.confidence == 0.8
        assert cfg.random_walk.bg_threshold == (0.5 if "thr05" in name else 0.3), name
        assert cfg.segmenter.tta.enabled == ("no_tta" not in name), name
        assert cfg.segmenter.model.backbone.depth == (101 if "r101" in name else 50), name
    cfg = load_config(METHOD, "lid2020")
    irnet = MODELS.build(cfg.irnet.model.to_dict())
    assert irnet.radius == 10.0 and not any(p.requires_grad for p in irnet.backbone.parameters())
    x = torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        boundary, displacement = irnet(irnet.data_preprocessor({"inputs": [x[0]]}, False)["inputs"])
    assert boundary.shape == (1, 1, 16, 16) and displacement.shape == (1, 2, 16, 16)  # stride 4
    lrs = _lrs(irnet, cfg.irnet.train.optim_wrapper)
    assert all(v == pytest.approx(0.05 if ".displacement" in n else 0.005) for n, v in lrs.items())
    for name in ("lid2020", "lid2020_r101_thr05"):
        cfg = load_config(METHOD, name)
        seg_cfg = cfg.segmenter.model.to_dict()
        seg_cfg["decode_head"]["num_classes"] = 201
        seg = MODELS.build(seg_cfg).eval()
        with torch.no_grad():
            feats = seg.extract_feat(torch.rand(1, 3, 64, 64))
            logits = seg.decode_head(feats)
        assert feats[-1].shape[-2:] == (8, 8) and logits.shape == (1, 201, 16, 16)  # encoder stride 8, head 4
        lrs = _lrs(seg, cfg.segmenter.train.optim_wrapper)
        assert all(v == pytest.approx(0.01 if n.startswith("decode_head.") else 0.001) for n, v in lrs.items())
        assert len([n for n in dict(seg.backbone.named_children()) if n.startswith("layer")]) == 4


# ------------------------------------------------------------------------------------------ parts
def test_strong_augmentation_keeps_shape_and_dtype_and_is_seeded():
    img = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    a = StrongAugment(p=1.0, seed=7)(dict(img=img.copy()))["img"]
    b = StrongAugment(p=1.0, seed=7)(dict(img=img.copy()))["img"]
    c = StrongAugment(p=1.0, seed=8)(dict(img=img.copy()))["img"]
    assert a.shape == img.shape and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.array_equal(a, img)
    untouched = StrongAugment(p=0.0, seed=7)(dict(img=img.copy()))["img"]
    assert np.array_equal(untouched, img)
    from wsisbench.registry import TRANSFORMS

    assert TRANSFORMS.get("StrongAugment") is StrongAugment


def test_strong_augmentation_without_its_own_seed_follows_the_process_seed():
    """The training Runner seeds numpy; unseeded albumentations would draw fresh entropy on every run."""
    img = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)

    def draws(process_seed: int) -> list[np.ndarray]:
        np.random.seed(process_seed)
        aug = StrongAugment(p=0.5)
        return [aug(dict(img=img.copy()))["img"] for _ in range(4)]

    first, again, other = draws(3), draws(3), draws(4)
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    assert not all(np.array_equal(x, y) for x, y in zip(first, other))
    assert not all(np.array_equal(first[0], x) for x in first[1:])


def test_image_label_f1():
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    assert image_label_f1(targets.astype(float), targets) == 1.0
    scores = np.array([[0.9, 0.0, 0.0], [0.0, 0.0, 0.0], [0.9, 0.9, 0.9]])
    # class 0: TP 2 -> 1; class 1: TP 1 FN 1 -> 2/3; class 2: FP 1 -> 0
    assert image_label_f1(scores, targets, average="macro") == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert image_label_f1(scores, targets, average="micro") == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert image_label_f1(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0


def test_crf_label_map_uses_only_the_present_classes():
    rng = np.random.default_rng(0)
    cams = np.zeros((5, 16, 16), np.float32)
    cams[1, 2:8, 2:8] = 1.0
    cams[3, 9:14, 9:14] = 2.0
    cams[4] = 5.0  # not present: never in the map
    rgb = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    plain = crf_label_map(cams, [1, 3], rgb, 0.3, None)
    assert set(np.unique(plain)) == {0, 2, 4}
    assert (plain[2:8, 2:8] == 2).all() and (plain[9:14, 9:14] == 4).all() and plain[0, 0] == 0
    refined = crf_label_map(cams, [1, 3], rgb, 0.3, dict(iterations=5, scale_factor=4.0))
    assert set(np.unique(refined)) <= {0, 2, 4} and refined.shape == (16, 16)
    assert (crf_label_map(cams, [], rgb, 0.3, None) == 0).all()


def test_confident_images_need_every_label_above_the_threshold():
    scores = {"a": {"cat": 0.9, "dog": 0.85}, "b": {"cat": 0.95, "dog": 0.5}, "c": {}, "d": {"cat": 0.8}}
    assert confident_images(scores, 0.8) == ["a"]        # b: one label below; c: no label; d: not above
    assert confident_images(scores, 0.0) == ["a", "b", "d"]


def test_person_merge_takes_background_pixels_only():
    label = np.zeros((4, 6), np.uint8)
    label[:, :2] = 3                                     # an object of class 2
    label[0, 5] = 255                                    # unknown
    cam = np.zeros((4, 6), np.float32)
    cam[:, 1:] = 2.0                                     # the person CAM covers the object's edge and the rest
    cam[3, 4] = 0.5                                      # 0.25 of the peak: below cam_threshold
    merged = merge_person(label, cam, 0.9, 15, score_threshold=0.5, cam_threshold=0.5)
    expected = label.copy()
    expected[:, 2:] = 15
    expected[0, 5] = 255
    expected[3, 4] = 0
    assert np.array_equal(merged, expected)
    assert merge_person(label, cam, 0.4, 15, 0.5, 0.5) is label     # the classifier sees no person
    assert merge_person(label, np.zeros_like(cam), 0.9, 15, 0.5, 0.5) is label


def test_propagated_label_map_stays_behind_the_boundary():
    """A CAM peak left of a closed boundary wall spreads over the left side only; background keeps the rest."""
    cams = np.zeros((3, 32, 32), np.float32)
    cams[2, 10:22, 2:8] = 1.0                            # class 2, left of the wall
    boundary = torch.zeros(8, 8)
    boundary[:, 4] = 1.0                                 # a wall on the 8 x 8 grid (image columns 16-19)
    rw = dict(radius=3.0, beta=10.0, iterations=64, bg_threshold=0.05)
    labels = propagated_label_map(cams[[2]], [2], boundary, (32, 32), rw)
    assert labels.shape == (32, 32) and set(np.unique(labels)) <= {0, 3}
    assert (labels[:, 22:] == 0).all()                   # nothing crosses the wall
    assert (labels[:, :12] == 3).mean() > 0.9            # the left side fills up
    no_wall = propagated_label_map(cams[[2]], [2], torch.zeros(8, 8), (32, 32), rw)
    assert (no_wall[:, 22:] == 3).any()                  # without the wall the class does cross
    assert (propagated_label_map(cams[[]], [], boundary, (32, 32), rw) == 0).all()
    high = propagated_label_map(cams[[2]], [2], boundary, (32, 32), dict(rw, bg_threshold=0.9))
    assert (high == 3).sum() < (labels == 3).sum()       # a higher IRNet threshold leaves more background


# ------------------------------------------------------------------------------- label preparation
def test_prepare_labels_removes_person_and_balances(tmp_path, home):
    from wsisbench.pipeline import run_method

    cfg = load_config(METHOD, "embedded_small", options={
        "benchmark.num_train": 60, "benchmark.num_val": 4, "benchmark.image_size": 64,
        "labels.balance_target": 3, "labels.holdout": 0.1, "stages": ["prepare_labels"]})
    run_method(cfg, work_dir=tmp_path / "run", device="cpu")
    out = tmp_path / "run" / "prepare_labels"
    root = next(home.glob("benchmarks/mechanism-*"))
    classes = json.loads((root / "meta.json").read_text())["classes"]
    person = classes.index("person") + 1
    published = _read_lines(root / "LID" / "train.txt")
    prepared = _read_lines(out / "labels.txt")
    assert any(person in c for c in published.values())           # the view has persons in the labels
    assert all(person not in c for c in prepared.values())         # and none is left
    for img_id, c in prepared.items():
        assert c == sorted(set(published[img_id]) - {person}) and c
    assert len(prepared) < len(published)                            # balancing dropped images
    counts_before = {k: sum(k in c for c in published.values()) for k in range(1, len(classes) + 1) if k != person}
    counts_after = {k: sum(k in c for c in prepared.values()) for k in counts_before}
    assert all(counts_after[k] >= min(counts_before[k], 3) for k in counts_before)
    # the held-out tail: train.txt + holdout.txt = labels.txt, in order
    train, hold = _read_lines(out / "train.txt"), _read_lines(out / "holdout.txt")
    assert list(train) + list(hold) == list(prepared) and len(hold) == int(np.ceil(0.1 * len(prepared)))
    report = json.loads((out / "report.json").read_text())
    assert [s["step"] for s in report["steps"]] == ["remove_person", "balance_by_downsampling"]
    assert report["steps"][0]["class_counts_after"]["person"] == 0
    assert report["images_prepared"] == len(prepared) and report["images_labelled"] == len(published)


def test_prepare_labels_options_off_keeps_the_published_labels(tmp_path, home):
    from wsisbench.pipeline import run_method

    cfg = load_config(METHOD, "embedded_small", options={
        "benchmark.num_train": 60, "benchmark.num_val": 4, "benchmark.image_size": 64,
        "labels.remove_person": False, "labels.balance_target": None, "labels.holdout": 0.0,
        "stages": ["prepare_labels"]})
    run_method(cfg, work_dir=tmp_path / "run", device="cpu")
    root = next(home.glob("benchmarks/mechanism-*"))
    published = {k: sorted(v) for k, v in _read_lines(root / "LID" / "train.txt").items() if v}
    assert _read_lines(tmp_path / "run" / "prepare_labels" / "labels.txt") == published
    assert (tmp_path / "run" / "prepare_labels" / "holdout.txt").read_text() == ""


# ------------------------------------------------------------------------------- tiny end to end
@pytest.mark.slow
def test_tiny_end_to_end_scores_the_three_steps(tmp_path, home, semantic_reference):
    from wsisbench.pipeline import run_method

    cfg = load_config(METHOD, "embedded_small")
    start = time.perf_counter()
    result = json.loads(run_method(cfg, work_dir=tmp_path / "run", device="cpu").read_text())
    wall = time.perf_counter() - start
    lid = Path(result["data_fingerprint"]["root"]) / "LID"
    ids = sorted(p.stem for p in (lid / "val_annotations").glob("*.png"))
    classes = json.loads((lid.parent / "meta.json").read_text())["classes"]
    for key, stage in (("val_step1", "cams_crf"), ("val_step2", "random_walk_labels"), ("val_step3", "segment")):
        ev = result["evaluations"][key]
        assert ev["split"] == "val" and ev["num_images"] == cfg.benchmark.num_val
        assert {f"{key}/mIoU", f"{key}/mAcc", f"{key}/aAcc"} <= set(result["metrics"])
        # the reported numbers equal an independent count over the label maps the run wrote
        pred = tmp_path / "run" / stage / "val"
        ref = semantic_reference([(lid / "val_annotations" / f"{i}.png", pred / f"{i}.png") for i in ids],
                                 num_classes=len(classes) + 1)
        assert ev["metrics"]["mIoU"] == pytest.approx(ref["mIoU"], abs=1e-12), key
    prepared = _read_lines(tmp_path / "run" / "prepare_labels" / "labels.txt")
    for stage in ("cams_crf", "random_walk_labels"):
        assert len(list((tmp_path / "run" / stage / "train").glob("*.png"))) == len(prepared), stage
    scores = json.loads((tmp_path / "run" / "cams_crf" / "train_scores.json").read_text())
    assert set(scores) == set(prepared)
    confident = _read_lines(tmp_path / "run" / "train_irnet" / "confident.txt")
    assert list(confident) == confident_images(scores, cfg.irnet.confidence)
    prof = result["profile"]
    assert prof["train_iters"] == 30 and "holdout_f1" in prof and "sec_per_img" in prof
    assert prof["irnet_train_iters"] == 10 and prof["irnet_images"] == len(confident)
    assert prof["segmenter_train_iters"] == 20 and "segmenter_holdout_miou" in prof
    assert prof["tta"] and prof["tta_scales"] == [0.5, 1.0, 2.0] and prof["tta_flip"]
    print(f"tiny run: {wall:.1f} s; stages {[(k, round(v['wall_time_s'], 1)) for k, v in result['stages'].items()]}")
