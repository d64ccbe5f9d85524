"""End to end: the CAM baseline through `wsisbench run` on a small embedded benchmark.

Covers reuse of finished stages, reproducibility, resuming a killed run, and a 2-process DDP run (gloo)
whose metrics equal the 1-process run on the same data and weights.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

TINY_CONFIG = str(Path(__file__).parent / "cam_baseline_tiny.py")
SMALL = ["train.max_iters=40"]


def wsisbench(*args: str, env=None, timeout=1800) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "wsisbench.cli.main", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-3000:]}")
    return proc


def run_small(work_dir: Path, *extra: str) -> dict:
    proc = wsisbench("run", "--method", "cam_baseline", "--config", TINY_CONFIG, "--work-dir", str(work_dir),
                     "--device", "cpu", "--cfg-options", *SMALL, *extra)
    assert f"result: {work_dir.resolve() / 'result.json'}" in proc.stdout
    assert "mIoU" in proc.stdout
    return json.loads((work_dir / "result.json").read_text())


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, dict]:
    work_dir = tmp_path_factory.mktemp("cam") / "run"
    return work_dir, run_small(work_dir)


def test_run_reports_semantic_metrics(first_run, semantic_reference):
    work_dir, result = first_run
    root = Path(result["data_fingerprint"]["root"]) / "VOC2012"
    for split, stage in (("val", "predict_val"), ("pseudo_train", "pseudo_labels_train")):
        ev = result["evaluations"][split]
        assert ev["protocol"] == "semantic" and ev["num_images"] > 0
        assert set(ev["per_class"]["IoU"]) >= {"background", "circle"}
        # the reported numbers equal an independent count over the label maps the run wrote
        ids = (root / "ImageSets" / "Segmentation" / f"{ev['split']}.txt").read_text().split()
        ref = semantic_reference([(root / "SegmentationClass" / f"{i}.png", work_dir / stage / "labels" / f"{i}.png")
                                  for i in ids], num_classes=11)
        assert len(ids) == ev["num_images"]
        assert ev["metrics"]["mIoU"] == pytest.approx(ref["mIoU"], abs=1e-12)
        assert ev["metrics"]["aAcc"] == pytest.approx(ref["aAcc"], abs=1e-12)
    assert result["data"] == "embedded"
    assert result["profile"]["sec_per_img"] > 0 and result["profile"]["peak_rss_mib"] > 0
    manifest = json.loads((first_run[0] / "train_classifier" / "manifest.json").read_text())
    assert "weights.pth" in manifest["artifacts"] and manifest["config_hash"] == result["config_hash"]


def test_second_run_reuses_all_stages(first_run):
    work_dir, result = first_run
    again = run_small(work_dir)
    assert all(stage["skipped"] for stage in again["stages"].values())
    assert again["metrics"] == result["metrics"]


def test_same_config_twice_gives_same_metrics(first_run, tmp_path):
    _, result = first_run
    other = run_small(tmp_path / "again")
    for key, value in result["metrics"].items():
        if not key.startswith(("time/", "memory/")):
            assert other["metrics"][key] == value, key


def test_killed_training_resumes(tmp_path):
    work_dir = tmp_path / "killed"
    cmd = [sys.executable, "-m", "wsisbench.cli.main", "run", "--method", "cam_baseline", "--config", TINY_CONFIG,
           "--work-dir", str(work_dir), "--device", "cpu", "--cfg-options", *SMALL, "train.max_iters=60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    partial = work_dir / "train_classifier.partial"
    deadline = time.time() + 600
    while time.time() < deadline and not list(partial.glob("iter_*.pth")):
        assert proc.poll() is None, "run ended before it wrote a checkpoint"
        time.sleep(0.5)
    time.sleep(1.0)  # let the checkpoint file be completed and `last_checkpoint` point at it
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (work_dir / "train_classifier").exists() and not (work_dir / "result.json").exists()
    done = int((partial / "last_checkpoint").read_text().strip().split("iter_")[-1].split(".")[0])
    assert 0 < done < 60
    rerun = wsisbench("run", "--method", "cam_baseline", "--config", TINY_CONFIG, "--work-dir", str(work_dir),
                      "--device", "cpu", "--cfg-options", *SMALL, "train.max_iters=60")
    log = "\n".join(p.read_text() for p in (work_dir / "train_classifier").rglob("*.log"))
    assert f"Advance dataloader {done} steps" in log + rerun.stdout + rerun.stderr
    result = json.loads((work_dir / "result.json").read_text())
    assert result["stages"]["check_data"]["skipped"] and not result["stages"]["train_classifier"]["skipped"]


def test_two_process_ddp_matches_single_process(first_run, tmp_path):
    """Same data and weights: the 2-process (gloo) predictions and metrics equal the 1-process ones."""
    work_dir, result = first_run
    ddp_dir = tmp_path / "ddp"
    ddp_dir.mkdir()
    for name in ("run.json", "check_data", "train_classifier"):
        src = work_dir / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, ddp_dir / name)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           "-m", "wsisbench.cli.main", "run", "--method", "cam_baseline", "--config", TINY_CONFIG,
           "--launcher", "pytorch", "--work-dir", str(ddp_dir), "--device", "cpu", "--cfg-options", *SMALL]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ddp = json.loads((ddp_dir / "result.json").read_text())
    assert ddp["profile"]["world_size"] == 2
    assert ddp["stages"]["train_classifier"]["skipped"] and not ddp["stages"]["predict_val"]["skipped"]
    for name in ("val", "pseudo_train"):
        assert ddp["evaluations"][name]["metrics"] == result["evaluations"][name]["metrics"]
        assert ddp["evaluations"][name]["num_images"] == result["evaluations"][name]["num_images"]


def test_two_process_ddp_training_completes(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29518",
           "-m", "wsisbench.cli.main", "run", "--method", "cam_baseline", "--config", TINY_CONFIG,
           "--launcher", "pytorch", "--work-dir", str(tmp_path / "ddp_train"), "--device", "cpu",
           "--cfg-options", *SMALL, "train.max_iters=10"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / "ddp_train" / "result.json").read_text())
    assert result["profile"]["world_size"] == 2 and not result["stages"]["train_classifier"]["skipped"]
    assert np.isfinite(result["metrics"]["val/aAcc"])
