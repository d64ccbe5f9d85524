"""`wsisbench compare`, `wsisbench claims`, `wsisbench results export`, `run --seeds` and the report on small
synthetic result.json sets (semantic per-image statistics written as a run would)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from comparison_helpers import random_semantic, write_run

from wsisbench.cli.main import main

BOOT = ["--bootstrap", "300"]


@pytest.fixture
def runs_root(tmp_path) -> Path:
    """FickleNet's `mechanism` (good) and `mechanism_p0` (worse), 3 seeds each, on 60 shared images."""
    rng = np.random.default_rng(0)
    difficulty = rng.uniform(0, 0.4, 60)
    root = tmp_path / "work"
    for seed in range(3):
        write_run(root, "fickle_net", "mechanism", seed, random_semantic(rng, difficulty, 0.8))
        write_run(root, "fickle_net", "mechanism_p0", seed, random_semantic(rng, difficulty, 0.6))
    return root


def test_compare_prints_means_and_the_interval(runs_root, capsys):
    args = ["compare", str(runs_root / "fickle_net" / "mechanism"), "--vs", str(runs_root / "fickle_net" /
                                                                                "mechanism_p0"), "--metric", "val/mIoU"]
    assert main(args + BOOT + ["--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["seeds_left"] == [0, 1, 2] and d["resampled"] == "images and seeds" and d["num_images"] == 60
    assert 0 < d["low"] < d["point"] < d["high"] and d["replicates"] == 300
    assert main(args + BOOT) == 0
    out = capsys.readouterr().out
    assert "±" in out and "left - right" in out and "95 % CI" in out


def test_compare_refuses_mixed_or_incomparable_runs(runs_root, tmp_path, capsys):
    rng = np.random.default_rng(1)
    other = write_run(tmp_path / "other", "fickle_net", "mechanism_p0", 0, random_semantic(rng, rng.uniform(0, .4, 60)),
                      benchmark="embedded")
    assert main(["compare", str(runs_root / "fickle_net" / "mechanism"), "--vs", str(other), "--metric",
                 "val/mIoU"] + BOOT) == 2
    assert "same benchmark" in capsys.readouterr().err
    assert main(["compare", str(runs_root), "--vs", str(other), "--metric", "val/mIoU"]) == 2
    assert "form 2 run sets" in capsys.readouterr().err


def test_claims_command_gives_verdicts(runs_root, tmp_path, capsys):
    assert main(["claims", "--method", "fickle_net", str(runs_root), "--format", "json"] + BOOT) == 0
    verdicts = {c["id"]: c for c in json.loads(capsys.readouterr().out)["claims"]}
    assert len(verdicts) == 12
    t5 = verdicts["fickle_net_t5_stochastic_vs_deterministic"]
    assert t5["verdict"] == "reproduced" and t5["left"]["seeds"] == [0, 1, 2]
    assert t5["difference"]["low"] > 0 and t5["paper"]["left"] == 61.2
    assert verdicts["fickle_net_t7_ss_vs_dd"]["verdict"] == "reproduced"
    gd = verdicts["fickle_net_t5_general_dropout_vs_deterministic"]
    assert gd["verdict"] == "not run" and "no runs of fickle_net/mechanism_general_dropout" in gd["notes"]
    out = tmp_path / "claims.md"
    assert main(["claims", "--method", "fickle_net", str(runs_root), "--out", str(out)] + BOOT) == 0
    md = out.read_text()
    assert "| fickle_net_t5_stochastic_vs_deterministic |" in md and "| reproduced |" in md
    assert "61.2 > 56.3" in md and "2 reproduced" in md


def test_export_keeps_results_per_image_files_and_figure_maps_only(runs_root, tmp_path, capsys):
    work1 = runs_root / "fickle_net" / "mechanism" / "seed1"
    (work1 / "train").mkdir()
    (work1 / "train" / "weights.pth").write_bytes(b"x" * 100)  # a checkpoint: never exported
    (work1 / "maps").mkdir()
    np.save(work1 / "maps" / "a_crm.npy", np.ones((4, 4), np.float32))
    raw = json.loads((work1 / "result.json").read_text())
    raw["qualitative"] = [{"image": "/elsewhere/a.jpg", "maps": {"class response map": "maps/a_crm.npy"}}]
    (work1 / "result.json").write_text(json.dumps(raw))
    results = tmp_path / "results"
    assert main(["results", "export", str(runs_root), "--out", str(results)]) == 0
    seed1 = results / "mechanism" / "fickle_net" / "mechanism" / "seed1"
    files = sorted(p.relative_to(seed1).as_posix() for p in seed1.rglob("*") if p.is_file())
    assert files == ["evaluate/per_image_val.npz", "maps/a_crm.npy", "result.json"]
    capsys.readouterr()
    # the verdicts rebuild from the exported copy alone, identically
    assert main(["claims", "--method", "fickle_net", str(runs_root), "--format", "json"] + BOOT) == 0
    before = json.loads(capsys.readouterr().out)["claims"]
    assert main(["claims", "--method", "fickle_net", str(results), "--format", "json"] + BOOT) == 0
    after = json.loads(capsys.readouterr().out)["claims"]
    assert [c["difference"] for c in before] == [c["difference"] for c in after]
    # exporting again is fine; another configuration at the same place needs --overwrite
    assert main(["results", "export", str(runs_root), "--out", str(results)]) == 0
    raw = json.loads((runs_root / "fickle_net" / "mechanism" / "seed1" / "result.json").read_text())
    raw["config"]["model"]["p"] = 0.5
    (runs_root / "fickle_net" / "mechanism" / "seed1" / "result.json").write_text(json.dumps(raw))
    assert main(["results", "export", str(runs_root), "--out", str(results)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_report_shows_mean_std_and_a_claims_section(runs_root, tmp_path):
    from wsisbench.reporting import write_report

    runs = sorted((runs_root / "fickle_net").rglob("result.json"))
    out = tmp_path / "report"
    write_report(runs, "md", out)
    md = (out / "report.md").read_text()
    assert "fickle_net/mechanism (3 seeds) †" in md and " ± " in md
    assert "## Claims" in md and "| fickle_net_t5_stochastic_vs_deterministic |" in md and "| reproduced |" in md
    assert (out / "tables" / "claims.csv").is_file()


def test_run_with_seeds_runs_each_seed_in_its_folder(tmp_path, monkeypatch, capsys):
    import wsisbench.pipeline as pipeline

    calls = []

    def fake_run_method(cfg, *, work_dir, device, launcher, overwrite):
        calls.append((int(cfg.seed), Path(work_dir)))
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        result = {"method": cfg.method, "preset": cfg.preset, "benchmark": "embedded", "data": "embedded",
                  "config": {"seed": int(cfg.seed)}, "profile": {"device": "cpu"},
                  "evaluations": {"val": {"protocol": "semantic", "metrics": {"mIoU": 0.4 + 0.01 * cfg.seed}}},
                  "metrics": {"val/mIoU": 0.4 + 0.01 * cfg.seed, "time/sec_per_img": 0.1}}
        path = Path(work_dir) / "result.json"
        path.write_text(json.dumps(result))
        return path

    monkeypatch.setattr(pipeline, "run_method", fake_run_method)
    work = tmp_path / "w"
    assert main(["run", "--method", "cam_baseline", "--device", "cpu", "--work-dir", str(work), "--seeds", "0", "1",
                 "2"]) == 0
    assert calls == [(0, work / "seed0"), (1, work / "seed1"), (2, work / "seed2")]
    out = capsys.readouterr().out
    assert "3 seeds (mean ± sample std)" in out and "41.00 ± 1.00" in out
    assert main(["run", "--method", "cam_baseline", "--seeds", "1", "--cfg-options", "seed=3"]) == 2
