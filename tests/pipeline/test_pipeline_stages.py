"""The run pipeline with a toy method: manifests, reuse that follows the declared inputs, resume, crash
safety, work-dir ownership by config and by data, the stage contract."""
from __future__ import annotations

import json

import pytest
from mmengine.config import Config

from wsisbench.errors import WsisbenchError
from wsisbench.pipeline import Method, Stage, run_method
from wsisbench.pipeline.manifest import read_valid_manifest
from wsisbench.pipeline.stage import select_stages
from wsisbench.registry import METHODS

CALLS: list[str] = []
FAIL_AT: dict = {}
#: changes what 'make' writes without changing the config (an input that changed behind a stage's back)
OFFSET = {"value": 0}


@METHODS.register_module(name="toy_counter", force=True)
class ToyCounter(Method):
    """make -> score (score reads make); train is independent and resumable."""

    def build_stages(self):
        return [Stage("make", self.make, "write numbers"),
                Stage("train", self.train, "resumable stage", resumable=True),
                Stage("score", self.score, "an evaluation", inputs=("make",))]

    def make(self, ctx, out):
        CALLS.append("make")
        (out / "numbers.txt").write_text(" ".join(str(i + OFFSET["value"]) for i in range(self.cfg.n)))

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
        total = sum(map(int, ctx.artifact("make", "numbers.txt").read_text().split()))
        return {"evaluations": {"val": {"protocol": "semantic", "metrics": {"mIoU": total / 100.0}}}}


def toy_cfg(n: int = 10, **extra) -> Config:
    return Config(dict(method="toy_counter", preset="toy", n=n,
                       benchmark=dict(name="embedded", num_train=4, num_val=2, image_size=32, seed=0), **extra))


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FAIL_AT.clear()
    OFFSET["value"] = 0


def test_run_writes_manifests_and_result(tmp_path):
    result_path = run_method(toy_cfg(), work_dir=tmp_path)
    result = json.loads(result_path.read_text())
    assert CALLS == ["make", "train", "score"]
    assert result["metrics"]["val/mIoU"] == pytest.approx(0.45)
    assert result["data"] == "embedded" and result["schema"] == "wsisbench.result/1"
    manifest = json.loads((tmp_path / "score" / "manifest.json").read_text())
    for key in ("config_hash", "environment", "resources", "artifacts", "content_hash", "inputs"):
        assert key in manifest
    made = json.loads((tmp_path / "make" / "manifest.json").read_text())
    assert manifest["inputs"] == {"make": made["content_hash"]}
    assert len(made["artifacts"]["numbers.txt"]["sha256"]) == 64
    assert manifest["environment"]["packages"]["torch"].startswith("2.13.0")
    assert manifest["resources"]["wall_time_s"] >= 0 and manifest["resources"]["peak_rss_mib"] > 0
    assert set(result["stages"]) == {"check_data", "make", "train", "score"}
    fingerprint = result["data_fingerprint"]
    assert fingerprint["content"] and fingerprint["identity"] and fingerprint["generator"]["hash"]


def test_second_run_reuses_every_stage(tmp_path):
    run_method(toy_cfg(), work_dir=tmp_path)
    CALLS.clear()
    result = json.loads(run_method(toy_cfg(), work_dir=tmp_path).read_text())
    assert CALLS == []
    assert all(s["skipped"] for s in result["stages"].values())
    assert result["metrics"]["val/mIoU"] == pytest.approx(0.45)


def test_damaged_artifact_reruns_its_stage_and_the_stages_that_read_it(tmp_path):
    run_method(toy_cfg(), work_dir=tmp_path)
    (tmp_path / "make" / "numbers.txt").write_text("1")  # size differs from the manifest
    CALLS.clear()
    run_method(toy_cfg(), work_dir=tmp_path)
    assert CALLS == ["make", "score"]  # score reads make; train does not and is reused


def test_same_size_damage_is_caught_by_the_checksum(tmp_path):
    run_method(toy_cfg(), work_dir=tmp_path)
    path = tmp_path / "make" / "numbers.txt"
    path.write_text(path.read_text().replace("1", "7", 1))  # same size, other content
    CALLS.clear()
    result = json.loads(run_method(toy_cfg(), work_dir=tmp_path).read_text())
    assert CALLS == ["make", "score"] and result["metrics"]["val/mIoU"] == pytest.approx(0.45)


def test_input_with_another_content_hash_reruns_the_reader(tmp_path):
    run_method(toy_cfg(), work_dir=tmp_path)
    OFFSET["value"] = 1  # make now writes other numbers
    (tmp_path / "make" / "numbers.txt").unlink()
    run_method(toy_cfg(stages=["make"]), work_dir=tmp_path)  # re-runs make only; score is not selected
    CALLS.clear()
    result = json.loads(run_method(toy_cfg(), work_dir=tmp_path).read_text())
    assert CALLS == ["score"]  # make is valid and reused; score's recorded input hash no longer matches
    assert result["metrics"]["val/mIoU"] == pytest.approx(0.55)


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


def test_work_dir_of_other_data_is_refused(tmp_path):
    from wsisbench.benchmarks.synthetic import generate_embedded

    other = generate_embedded(tmp_path / "other_data", num_train=4, num_val=2, image_size=32, seed=1,
                              progress=False)
    run_method(toy_cfg(), work_dir=tmp_path / "run")
    cfg = toy_cfg()
    cfg.benchmark["data_root"] = str(other)
    with pytest.raises(WsisbenchError, match="other data .*data root"):
        run_method(cfg, work_dir=tmp_path / "run")
    CALLS.clear()
    result = json.loads(run_method(cfg, work_dir=tmp_path / "run", overwrite=True).read_text())
    assert CALLS == ["make", "train", "score"]
    assert result["data_fingerprint"]["root"] == str(other.resolve())


def test_stage_contract_is_checked():
    make, score = Stage("make", print), Stage("score", print, inputs=("make",))
    assert [s.name for s in select_stages([make, score], ["make"])] == ["make"]
    with pytest.raises(WsisbenchError, match=r"'score' reads \['make'\]; list them too"):
        select_stages([make, score], ["score"])
    with pytest.raises(WsisbenchError, match="unknown stage"):
        select_stages([make, score], ["nope"])
    with pytest.raises(WsisbenchError, match="not earlier stages"):
        select_stages([score, make], None)


def test_reading_an_undeclared_stage_is_an_error(tmp_path):
    @METHODS.register_module(name="toy_undeclared", force=True)
    class Undeclared(Method):
        def build_stages(self):
            return [Stage("make", lambda ctx, out: (out / "a.txt").write_text("a") and None),
                    Stage("read", lambda ctx, out: ctx.artifact("make", "a.txt") and None)]

    with pytest.raises(WsisbenchError, match=r"reads an artifact of 'make' but does not declare it"):
        run_method(Config(dict(toy_cfg(), method="toy_undeclared")), work_dir=tmp_path)


def test_two_stages_writing_one_result_key_is_an_error(tmp_path):
    @METHODS.register_module(name="toy_clash", force=True)
    class Clash(Method):
        def build_stages(self):
            return [Stage("a", lambda ctx, out: {"profile": {"sec_per_img": 1.0}}),
                    Stage("b", lambda ctx, out: {"profile": {"sec_per_img": 2.0}})]

    with pytest.raises(WsisbenchError, match="stages 'a' and 'b' both write result.json profile key 'sec_per_img'"):
        run_method(Config(dict(toy_cfg(), method="toy_clash")), work_dir=tmp_path)


def test_qualitative_entries_name_the_finished_stage_folder(tmp_path):
    from wsisbench.pipeline.qualitative import qualitative_entry

    out_dir = tmp_path / "predict_val.partial"  # a stage in progress; renamed by the runner on success
    entry = qualitative_entry(out_dir, "/data/a.jpg", gt=None, pred=out_dir / "labels" / "a.png",
                              cam=out_dir / "labels" / "a_cam.npy", caption="x")
    assert entry == {"image": "/data/a.jpg", "pred": "predict_val/labels/a.png",
                     "cam": "predict_val/labels/a_cam.npy", "caption": "x"}


def test_a_shared_stage_is_computed_once_for_presets_that_agree_on_it(tmp_path):
    """Two presets that differ only after their shared first stage: with a stage cache, the second copies it."""
    @METHODS.register_module(name="toy_shared", force=True)
    class Shared(Method):
        def build_stages(self):
            return [Stage("base", self.base, "shared", share=lambda cfg: {"n": cfg.n}),
                    Stage("head", self.head, "preset-specific", inputs=("base",))]

        def base(self, ctx, out):
            CALLS.append("base")
            (out / "base.txt").write_text(str(self.cfg.n))

        def head(self, ctx, out):
            CALLS.append("head")
            value = int(ctx.artifact("base", "base.txt").read_text()) * self.cfg.factor
            return {"evaluations": {"val": {"protocol": "semantic", "metrics": {"mIoU": value / 100}}}}

    def cfg(factor):
        return Config(dict(toy_cfg(), method="toy_shared", factor=factor, stage_cache=str(tmp_path / "cache")))

    run_method(cfg(2), work_dir=tmp_path / "a")
    assert CALLS == ["base", "head"]
    CALLS.clear()
    result = json.loads(run_method(cfg(3), work_dir=tmp_path / "b").read_text())
    assert CALLS == ["head"] and result["metrics"]["val/mIoU"] == pytest.approx(0.30)
    assert result["stages"]["base"]["shared_from"].startswith(str(tmp_path / "cache"))
    manifest = json.loads((tmp_path / "b" / "base" / "manifest.json").read_text())
    assert manifest["config_hash"] == result["config_hash"]  # adopted: reused like any finished stage
    CALLS.clear()
    run_method(cfg(3), work_dir=tmp_path / "b")
    assert CALLS == []
    # a preset that differs in what the shared stage computes does not share it
    other = Config(dict(toy_cfg(n=12), method="toy_shared", factor=3, stage_cache=str(tmp_path / "cache")))
    run_method(other, work_dir=tmp_path / "c")
    assert CALLS == ["base", "head"]


def test_a_shared_stage_with_inputs_is_reused_only_on_the_same_input_contents(tmp_path):
    """A shared stage that reads another stage (training on proposals) is keyed on its input's content too."""
    @METHODS.register_module(name="toy_shared_chain", force=True)
    class Chain(Method):
        def build_stages(self):
            return [Stage("base", self.base, "input of the shared stage"),   # not shared: depends on cfg.k
                    Stage("mid", self.mid, "shared, reads base", inputs=("base",), share=lambda cfg: {"n": cfg.n}),
                    Stage("head", self.head, "preset-specific", inputs=("mid",))]

        def base(self, ctx, out):
            (out / "base.txt").write_text(str(self.cfg.k))

        def mid(self, ctx, out):
            CALLS.append("mid")
            (out / "mid.txt").write_text(str(int(ctx.artifact("base", "base.txt").read_text()) + self.cfg.n))

        def head(self, ctx, out):
            value = int(ctx.artifact("mid", "mid.txt").read_text()) * self.cfg.factor
            return {"evaluations": {"val": {"protocol": "semantic", "metrics": {"mIoU": value / 100}}}}

    def cfg(factor, k=1):
        return Config(dict(toy_cfg(), method="toy_shared_chain", factor=factor, k=k,
                           stage_cache=str(tmp_path / "cache")))

    CALLS.clear()
    run_method(cfg(2), work_dir=tmp_path / "a")
    run_method(cfg(3), work_dir=tmp_path / "b")   # same input contents: mid copied from the cache
    assert CALLS == ["mid"]
    result = json.loads(run_method(cfg(3, k=5), work_dir=tmp_path / "c").read_text())   # other input: computed
    assert CALLS == ["mid", "mid"]
    assert result["metrics"]["val/mIoU"] == pytest.approx((5 + toy_cfg()["n"]) * 3 / 100)
