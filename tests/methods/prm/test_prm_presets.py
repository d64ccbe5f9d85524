"""PRM presets: every preset loads and builds; paper presets run a forward and a peak back-propagation on a
tiny input and refuse to start without their checkpoint and proposal files."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import wsisbench.methods  # noqa: F401  (registers prm)
from wsisbench.methods.prm.attention import mask_branches_cut
from wsisbench.methods.prm.peak_backprop import peak_response_maps
from wsisbench.methods.prm.stages import check_proposal_files, classifier_share
from wsisbench.presets import list_presets, load_config
from wsisbench.registry import METHODS, MODELS

MECHANISM = ("mechanism", "mechanism_adaptive_thresholds", "mechanism_fixed_thresholds", "mechanism_residual_attention",
             "mechanism_mask_branch_cut", "mechanism_cam_instances")
EMBEDDED = ("embedded", "embedded_small") + MECHANISM
PAPER = ("voc2012_r50", "voc2012_residual_attention")


@pytest.fixture(autouse=True)
def _scope():
    from mmengine.registry import init_default_scope

    torch.set_num_threads(1)
    init_default_scope("wsisbench")


def stage_names(cfg) -> list[str]:
    from wsisbench.pipeline.stage import select_stages

    return [s.name for s in select_stages(METHODS.get("prm")(cfg).build_stages(), cfg.get("stages"))]


def test_every_preset_loads_with_its_stages():
    assert sorted(list_presets("prm")) == sorted(EMBEDDED + PAPER)
    for name in EMBEDDED + PAPER:
        cfg = load_config("prm", name)
        assert cfg.method == "prm"
        expected = ["train_classifier", "predict_val", "evaluate_val"]
        if cfg.instances.kind == "prm":
            expected.insert(1, "proposals_val")
        assert stage_names(cfg) == expected, name
        if name in EMBEDDED:
            assert cfg.benchmark.name == "mechanism"
            # the claims' presets run on one thread each (seeds side by side); the default and CI's on all cores
            assert cfg.cpu_threads == (1 if name in MECHANISM else None)
    assert load_config("prm", "mechanism").thresholds.mode == "adaptive"
    assert load_config("prm", "mechanism_fixed_thresholds").thresholds.mode == "fixed"
    assert load_config("prm", "mechanism_mask_branch_cut").peak_backprop.cut_mask_branch is True


def test_the_default_is_the_mechanism_recipe_on_all_cores():
    a, b = load_config("prm", "embedded").to_dict(), load_config("prm", "mechanism").to_dict()
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    assert differ == ["cpu_threads", "preset"]


def test_presets_that_differ_after_training_share_one_classifier():
    from wsisbench.utils.hashing import stable_hash

    def key(preset):
        return stable_hash(classifier_share(load_config("prm", preset)))

    assert key("mechanism") == key("mechanism_fixed_thresholds") == key("mechanism_adaptive_thresholds")
    assert key("mechanism_residual_attention") == key("mechanism_mask_branch_cut")
    assert len({key(p) for p in ("mechanism", "mechanism_residual_attention", "mechanism_cam_instances")}) == 3
    assert key("embedded") != key("mechanism")   # another thread count, another classifier


def _model(cfg, classes):
    torch.manual_seed(0)
    model = cfg.model.to_dict()
    model["num_classes"] = classes
    return MODELS.build(model).eval()


@pytest.mark.parametrize("preset", EMBEDDED)
def test_embedded_models_build_and_back_propagate_peaks(preset):
    cfg = load_config("prm", preset)
    model = _model(cfg, 5)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        crms = model.class_response_maps(x)
        scores = model.aggregate(crms)
    assert crms.shape == (1, 5, 8, 8) and scores.shape == (1, 5)
    with mask_branches_cut(model, bool(cfg.peak_backprop.cut_mask_branch)):
        prms, _ = peak_response_maps(model, model.class_response_maps, x, torch.tensor([[1, 2, 3], [4, 7, 7]]),
                                     bottom=cfg.peak_backprop.bottom)
    assert prms.shape == (2, 16, 16) and torch.all(prms >= 0)  # bottom: the stride-4 stage output
    assert torch.allclose(prms.flatten(1).sum(1), torch.ones(2), atol=1e-5)


@pytest.mark.parametrize("preset", PAPER)
def test_paper_presets_build_run_a_forward_and_a_peak_backprop(preset):
    cfg = load_config("prm", preset)
    model = _model(cfg, 20)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        crms = model.class_response_maps(x)
    assert crms.shape == (1, 20, 16, 16)  # output stride 32, CRMs upsampled x8
    y, x_ = divmod(int(crms[0, 3].argmax()), 16)  # the class's strongest response: it has positive evidence
    prms, kept = peak_response_maps(model, model.low_res_maps, x, torch.tensor([[3, y, x_]]),
                                    bottom=cfg.peak_backprop.bottom, upsample=model.upsample)
    assert prms.shape == (1, 16, 16) and torch.all(prms >= 0)
    assert 0 < kept.item() <= 1 + 1e-5
    assert torch.isclose(prms.sum(), torch.tensor(1.0), atol=1e-5)


def test_residual_attention_recipe():
    cfg = load_config("prm", "voc2012_residual_attention")
    assert (cfg.train.batch_size, cfg.train.max_iters) == (8, 4 * 1904 // 8)
    opt = cfg.train.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ("SGD", 0.01, 0.9, 1e-4)
    assert dict(cfg.train_subset) == {"fraction": 0.2, "held_out": 0.1}
    assert cfg.train_pipeline[1].scale == (448, 448) and cfg.train_pipeline[2].prob == 0.5


@pytest.mark.parametrize("preset", PAPER)
def test_paper_presets_refuse_to_start_without_checkpoint_and_proposals(
        preset, refuses_without_checkpoint_and_proposals):
    cfg = load_config("prm", preset)
    refuses_without_checkpoint_and_proposals(cfg)
    assert check_proposal_files(cfg) == Path(cfg.proposals.files)   # the stage's own check, on the same folder


def test_subset_dataset_keeps_the_leading_share_minus_the_held_out_tail():
    from torch.utils.data import Dataset

    from wsisbench.registry import DATASETS

    @DATASETS.register_module(name="_PRMToyList", force=True)
    class _Toy(Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return i

    ds = DATASETS.build(dict(type="PRMSubsetDataset", dataset=dict(type="_PRMToyList", n=10582), fraction=0.2,
                             held_out=0.1))
    assert len(ds) == 1904 and ds[len(ds) - 1] == 1903 and ds.held_out_indices[-1] == 2115
    ds = DATASETS.build(dict(type="PRMSubsetDataset", dataset=dict(type="_PRMToyList", n=10582), fraction=0.2,
                             held_out=0.01))
    assert len(ds) == 2116 - 21
