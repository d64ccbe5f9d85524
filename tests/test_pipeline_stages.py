"""The run pipeline with a toy method: manifests, reuse, resume, crash safety, work-dir ownership."""
from __future__ import annotations

import json

import pytest
from mmengine.config import Config

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import Method, Stage, run_method
from wsisbench.pipeline.manifest import read_valid_manifest
from wsisbench.registry import METHODS

CALLS: list[str] = []
FAIL_AT: dict = {}


@METHODS.register_module(name="toy_counter", force=True)
class ToyCounter(Method):
    """Three stages that record their calls; ``FAIL_AT['stage']`` makes one raise midway."""

    def build_stages(self):
        return [Stage("make", self.make, "write numbers"),
                Stage("train", self.train, "resumable stage", resumable=True),
                Stage("score", self.score, "an evaluation")]

    def make(self, ctx, out):
        CALLS.append("make")
        (out / "numbers.txt").write_text(" ".join(map(str, range(self.cfg.n))))

    def train(self, ctx, out):
        CALLS.append("train")
        progress = out / "progress.txt"
        done = int(progress.read_text()) if progress.exists() else 0  # resume point left by a crash
        for step in range(done, 4):
            progress.write_text(str(step))
            if FAIL_AT.get("stage") == "train" and step == 2:
                FAIL_AT.clear()
                raise KeyboardInterrupt
        (out / "weights.txt").write_text(f"resumed from {done}")

    def score(self, ctx, out):
        CALLS.append("score")
        if FAIL_AT.get("stage") == "score":
            FAIL_AT.clear()
            raise RuntimeError("crash while scoring")
        total = sum(map(int, (ctx.stage_dir("make") / "numbers.txt").read_text().split()))
        return {"evaluations": {"val": {"protocol": "semantic", "metrics": {"mIoU": total / 100.0}}}}


def toy_cfg(n: int = 10) -> Config:
    return Config(dict(method="toy_counter", preset="toy", n=n,
                       benchmark=dict(name="embedded", num_train=4, num_val=2, image_size=32, seed=0)))


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FAIL_AT.clear()


def test_run_writes_manifests_and_result(tmp_path):
    result_path = run_method(toy_cfg(), work_dir=tmp_path)
    result = json.loads(result_path.read_text())
    assert CALLS == ["make", "train", "score"]
    assert result["metrics"]["val/mIoU"] == pytest.approx(0.45)
    assert result["data"] == "embedded" and result["schema"] == "wsisbench.result/1"
    manifest = json.loads((tmp_path / "make" / "manifest.json").read_text())
    for key in ("config_hash", "environment", "resources", "artifacts"):
        assert key in manifest
    assert manifest["environment"]["packages"]["torch"].startswith("2.13.0")
    assert manifest["resources"]["wall_time_s"] >= 0 and manifest["resources"]["peak_rss_mib"] > 0
    assert set(result["stages"]) == {"check_data", "make", "train", "score"}


def test_second_run_reuses_every_stage(tmp_path):
    run_method(toy_cfg(), work_dir=tmp_path)
    CALLS.clear()
    result = json.loads(run_method(toy_cfg(), work_dir=tmp_path).read_text())
    assert CALLS == []
    assert all(s["skipped"] for s in result["stages"].values())
    assert result["metrics"]["val/mIoU"] == pytest.approx(0.45)


def test_damaged_artifact_reruns_only_that_stage(tmp_path):
    run_method(toy_cfg(), work_dir=tmp_path)
    (tmp_path / "make" / "numbers.txt").write_text("1")  # size differs from the manifest
    CALLS.clear()
    run_method(toy_cfg(), work_dir=tmp_path)
    assert CALLS == ["make"]


def test_interrupted_resumable_stage_resumes(tmp_path):
    FAIL_AT["stage"] = "train"
    with pytest.raises(KeyboardInterrupt):
        run_method(toy_cfg(), work_dir=tmp_path)
    assert not (tmp_path / "train").exists() and (tmp_path / "train.partial").is_dir()
    assert not (tmp_path / "result.json").exists()
    CALLS.clear()
    run_method(toy_cfg(), work_dir=tmp_path)
    assert CALLS == ["train", "score"]  # 'make' was finished and is reused
    assert (tmp_path / "train" / "weights.txt").read_text() == "resumed from 2"


def test_crash_leaves_no_half_written_stage(tmp_path):
    FAIL_AT["stage"] = "score"
    with pytest.raises(RuntimeError):
        run_method(toy_cfg(), work_dir=tmp_path)
    assert not (tmp_path / "score").exists() and not (tmp_path / "result.json").exists()
    assert read_valid_manifest(tmp_path / "train", json.loads((tmp_path / "run.json").read_text())["config_hash"])


def test_work_dir_of_another_config_is_refused(tmp_path):
    run_method(toy_cfg(10), work_dir=tmp_path)
    with pytest.raises(WsisbenchError, match="another config"):
        run_method(toy_cfg(11), work_dir=tmp_path)
    result = json.loads(run_method(toy_cfg(11), work_dir=tmp_path, overwrite=True).read_text())
    assert result["metrics"]["val/mIoU"] == pytest.approx(0.55)


def test_qualitative_entries_name_the_finished_stage_folder(tmp_path):
    from wsisbench.pipeline.qualitative import qualitative_entry

    out_dir = tmp_path / "predict_val.partial"  # a stage in progress; renamed by the runner on success
    entry = qualitative_entry(out_dir, "/data/a.jpg", gt=None, pred=out_dir / "labels" / "a.png",
                              cam=out_dir / "labels" / "a_cam.npy", caption="x")
    assert entry == {"image": "/data/a.jpg", "pred": "predict_val/labels/a.png",
                     "cam": "predict_val/labels/a_cam.npy", "caption": "x"}
