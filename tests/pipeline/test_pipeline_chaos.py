"""Chaos check: a run killed with SIGKILL during training, between stages and while writing predictions
resumes each time, never treats a partial file as finished, and ends with the metrics of an uninterrupted run,
to the last digit. Runs the CAM baseline's tiny test preset (tests/baselines/cam_baseline/)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wsisbench.pipeline.manifest import read_valid_manifest

pytestmark = pytest.mark.slow

TINY = str(Path(__file__).parent / "cam_chaos_tiny.py")  # with dropout: training draws from torch's random state
OPTIONS = ["train.max_iters=40"]


def _command(work_dir: Path) -> list[str]:
    return [sys.executable, "-m", "wsisbench.cli.main", "run", "--method", "cam_baseline", "--config", TINY,
            "--work-dir", str(work_dir), "--device", "cpu", "--cfg-options", *OPTIONS]


def _run(work_dir: Path) -> dict:
    proc = subprocess.run(_command(work_dir), capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads((work_dir / "result.json").read_text())


def _kill_when(work_dir: Path, condition, what: str) -> None:
    """Start the run and SIGKILL its process group as soon as ``condition(work_dir)`` holds."""
    proc = subprocess.Popen(_command(work_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 1200
    while not condition(work_dir):
        assert proc.poll() is None, f"the run ended before the kill point ({what})"
        assert time.time() < deadline, f"timed out waiting for the kill point ({what})"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _nothing_partial_counts_as_finished(work_dir: Path) -> None:
    config_hash = json.loads((work_dir / "run.json").read_text())["config_hash"]
    for stage_dir in work_dir.iterdir():
        if stage_dir.is_dir() and not stage_dir.name.endswith(".partial"):
            assert read_valid_manifest(stage_dir, config_hash), f"{stage_dir} is final but not complete"
    assert not (work_dir / "result.json").exists(), "a killed run left a result.json"


def _training_checkpointed(d: Path) -> bool:
    return (d / "train_classifier.partial" / "last_checkpoint").is_file()


def _between_stages(d: Path) -> bool:
    return (d / "pseudo_labels_train" / "manifest.json").is_file()


def _writing_predictions(d: Path) -> bool:
    labels = d / "predict_val.partial" / "labels"
    return labels.is_dir() and len(list(labels.glob("*.png"))) >= 5


def test_three_kills_then_the_metrics_of_an_uninterrupted_run(tmp_path):
    reference = _run(tmp_path / "uninterrupted")
    work_dir = tmp_path / "chaos"
    for condition, what in ((_training_checkpointed, "during training"), (_between_stages, "between stages"),
                            (_writing_predictions, "while writing predictions")):
        _kill_when(work_dir, condition, what)
        _nothing_partial_counts_as_finished(work_dir)
    result = _run(work_dir)
    quality = {k: v for k, v in reference["metrics"].items() if not k.startswith(("time/", "memory/"))}
    assert quality and {k: result["metrics"][k] for k in quality} == quality
    assert not result["stages"]["predict_val"]["skipped"]  # killed while writing: re-run from scratch
    assert result["stages"]["train_classifier"]["skipped"]  # finished on an earlier resume
