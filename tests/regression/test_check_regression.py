"""`wsisbench check`: a degraded run fails (exit 1) with a readable message, the unmodified run passes."""
from __future__ import annotations

import json

import pytest

from wsisbench.cli.main import main
from wsisbench.errors import WsisbenchError
from wsisbench.regression.check import FAIL, MISSING, OK, check_against_reference
from wsisbench.regression.reference import REFERENCE_SCHEMA, load_reference
from wsisbench.regression.tolerance import Tolerance, lower_is_better, parse_cli_tolerances, parse_tolerance, pick
from wsisbench.reporting.results import load_run


def degrade(path, **changes):
    """A copy of result.json next to it (``<dir>_degraded``, ``<dir>_degraded2`` ...) with some metrics changed
    (None = removed)."""
    raw = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            raw["metrics"].pop(key)
        else:
            raw["metrics"][key] = value
    out = path.parent.with_name(path.parent.name + "_degraded")
    n = 1
    while out.exists():
        n += 1
        out = path.parent.with_name(f"{path.parent.name}_degraded{n}")
    out.mkdir()
    (out / "result.json").write_text(json.dumps(raw))
    return out / "result.json"


@pytest.fixture
def reference(make_result, tmp_path, capsys):
    run = make_result("cam", method="cam_baseline", preset="embedded", miou=0.41, sec_per_img=0.02)
    refs = tmp_path / "references"
    assert main(["check", str(run), "--write-reference", f"{refs}/"]) == 0
    assert "cam_baseline_embedded.json" in capsys.readouterr().out
    return run, refs


def test_reference_file_format(reference):
    _, refs = reference
    raw = json.loads((refs / "cam_baseline_embedded.json").read_text())
    assert raw["schema"] == REFERENCE_SCHEMA
    assert (raw["method"], raw["preset"], raw["data"]) == ("cam_baseline", "embedded", "embedded")
    assert raw["metrics"]["val/mIoU"] == {"value": 0.41, "tolerance": 0.02, "direction": "higher"}
    assert raw["metrics"]["time/sec_per_img"] == {"value": 0.02, "tolerance": "200%", "direction": "lower"}
    assert raw["metrics"]["memory/peak_rss_mib"]["tolerance"] == "25%"
    assert {"result", "config_hash", "git_commit", "packages", "created", "wsisbench"} <= set(raw["provenance"])
    assert raw["config_hash"] == "0123456789abcdef" and raw["data_fingerprint"]["content"] == "f00dfeedf00dfeed"
    ref = load_reference(refs / "cam_baseline_embedded.json")
    timing = ref.metrics["time/sec_per_img"]
    assert timing.lower_is_better and timing.tolerance == Tolerance(200, True)


def test_unmodified_run_passes(reference, capsys):
    run, refs = reference
    assert main(["check", str(run), "--reference", str(refs)]) == 0
    out = capsys.readouterr().out
    assert "0 of 7 checks failed: 7 ok" in out and "FAIL" not in out


def test_degraded_run_fails_with_a_readable_message(reference, capsys):
    run, refs = reference
    bad = degrade(run, **{"val/mIoU": 0.30, "time/sec_per_img": 0.07})
    assert main(["check", str(bad), "--reference", str(refs / "cam_baseline_embedded.json")]) == 1
    out = capsys.readouterr().out
    # the table of failing rows
    header = next(line for line in out.splitlines() if line.strip().startswith("status"))
    assert all(col in header for col in ("run", "metric", "better", "reference", "tolerance", "limit", "measured"))
    assert sum(line.strip().startswith("FAIL cam_baseline/embedded") for line in out.splitlines()) == 2
    # one sentence per failure: metric, run, measured value, reference and tolerance
    assert ("FAIL val/mIoU: run cam_baseline/embedded measured 0.3 < 0.39 = reference 0.41 - tolerance 0.02"
            in out)
    assert ("FAIL time/sec_per_img: run cam_baseline/embedded measured 0.07 > 0.06 = reference 0.02 + tolerance 200%"
            in out)
    assert "2 of 7 checks failed" in out


def test_tolerances_from_the_command_line_override_the_file(reference, capsys):
    run, refs = reference
    bad = degrade(run, **{"val/mIoU": 0.30, "time/sec_per_img": 0.07})
    assert main(["check", str(bad), "--reference", str(refs), "--tolerance", "val/mIoU=0.2",
                 "--tolerance", "time/*=300%"]) == 0
    assert main(["check", str(bad), "--reference", str(refs), "-t", "val/mIoU=0.2"]) == 1  # time still fails
    assert "time/sec_per_img" in capsys.readouterr().out


def test_direction_missing_metric_and_improvements(reference):
    run, refs = reference
    ref = load_reference(refs / "cam_baseline_embedded.json")
    better = load_run(degrade(run, **{"val/mIoU": 0.9, "time/sec_per_img": 0.001, "val/aAcc": None}))
    rows = {r.metric: r for r in check_against_reference(better, ref)}
    assert rows["val/mIoU"].status == OK and rows["time/sec_per_img"].status == OK  # improvements pass
    assert rows["val/aAcc"].status == MISSING and rows["val/aAcc"].failed  # a metric that disappeared fails
    # memory is lower-is-better with 25 %: at the limit it passes, just above it fails
    at_limit = load_run(degrade(run, **{"memory/peak_rss_mib": 900 * 1.25}))
    (row,) = [r for r in check_against_reference(at_limit, ref) if r.metric == "memory/peak_rss_mib"]
    assert row.status == OK and row.limit == 900 * 1.25
    above = load_run(degrade(run, **{"memory/peak_rss_mib": 900 * 1.25 + 0.5}))
    (row,) = [r for r in check_against_reference(above, ref) if r.metric == "memory/peak_rss_mib"]
    assert row.status == FAIL


def test_against_leaderboard(make_result, capsys):
    paper = make_result("voc", method="fickle_net", preset="voc2012_vgg16", data="paper", miou=0.605)
    assert main(["check", str(paper), "--against", "fickle_net"]) == 0  # 60.5 vs 61.2 - 1 point
    low = degrade(paper, **{"val/mIoU": 0.55})
    assert main(["check", str(low), "--against", "fickle_net", "-t", "time/*=1000%"]) == 1
    out = capsys.readouterr().out
    assert "FAIL val/mIoU: run fickle_net/voc2012_vgg16 measured 0.55 < 0.602 = reference 0.612 - tolerance 0.01" in out
    assert "fickle_net: Table 5, FickleNet | 0.9 / mIoU" in out
    assert not any(line.strip().startswith("not measured") for line in out.splitlines())  # test split: not a failure
    assert "3 of 7 checks failed: 2 ok, 3 FAIL, 2 not measured" in out
    emb = make_result("emb", method="fickle_net", preset="embedded", data="embedded", miou=0.2)
    assert main(["check", str(emb), "--against", "fickle_net"]) == 0  # embedded data: skipped, not compared
    assert "skipped: runs on embedded data are not comparable" in capsys.readouterr().out
    assert main(["check", str(emb), "--against", "fickle_net", "--allow-embedded"]) == 1


def test_reference_errors(reference, make_result, capsys):
    run, refs = reference
    assert main(["check", str(run), "--write-reference", f"{refs}/"]) == 2  # exists: needs --force
    assert "--force" in capsys.readouterr().err
    assert main(["check", str(run), "--write-reference", f"{refs}/", "--force"]) == 0
    other = make_result("other", method="fickle_net", preset="embedded")
    assert main(["check", str(other), "--reference", str(refs / "cam_baseline_embedded.json")]) == 2
    assert "it is for cam_baseline/embedded, the run is fickle_net/embedded" in capsys.readouterr().err
    assert main(["check", str(other), "--reference", str(refs)]) == 2
    assert "no reference for run fickle_net/embedded" in capsys.readouterr().err
    (refs / "bad.json").write_text(json.dumps({"schema": REFERENCE_SCHEMA, "method": "m", "preset": "p",
                                               "metrics": {"val/mIoU": {"value": "high"}}}))
    with pytest.raises(WsisbenchError, match=r"bad.json: metric 'val/mIoU': value 'high' is not a finite number"):
        load_reference(refs / "bad.json")


def test_tolerance_parsing():
    assert parse_tolerance("0.02") == Tolerance(0.02) and parse_tolerance(0.5) == Tolerance(0.5)
    assert parse_tolerance("50%") == Tolerance(50, True) and parse_tolerance("50%").absolute(0.2) == pytest.approx(0.1)
    for bad in ("abc", "-1", "nan%"):
        with pytest.raises(WsisbenchError):
            parse_tolerance(bad)
    o = parse_cli_tolerances(["val/mIoU=0.02", "time/*=50%", "0.1", "val/*=0.05"])
    assert pick("val/mIoU", o) == Tolerance(0.02) and pick("val/mAcc", o) == Tolerance(0.05)
    assert pick("time/sec_per_img", o) == Tolerance(50, True) and pick("other/x", o) == Tolerance(0.1)
    assert lower_is_better("time/sec_per_img") and lower_is_better("memory/peak_rss_mib")
    assert not lower_is_better("val/mIoU") and not lower_is_better("B/AP50")
    assert FAIL == "FAIL"


def _edit_run(path, **fields):
    """A copy of result.json next to it with top-level fields changed."""
    raw = json.loads(path.read_text())
    raw.update(fields)
    out = path.parent.with_name(path.parent.name + "_edited")
    out.mkdir()
    (out / "result.json").write_text(json.dumps(raw))
    return out / "result.json"


def test_a_reference_of_another_config_or_other_data_is_refused(reference, capsys):
    run, refs = reference
    raw = json.loads(run.read_text())
    other_config = _edit_run(run, config_hash="fedcba9876543210",
                             config=dict(raw["config"], train=dict(max_iters=999)))
    assert main(["check", str(other_config), "--reference", str(refs)]) == 2
    err = capsys.readouterr().err
    assert "another config (reference config hash 0123456789abcdef, run fedcba9876543210)" in err
    assert "train: <absent> -> {'max_iters': 999}" in err  # the message names what differs
    other_data = run.parent.with_name("cam_otherdata")
    other_data.mkdir()
    (other_data / "result.json").write_text(json.dumps(dict(raw, data_fingerprint={"content": "0ther", "root": "/x"})))
    assert main(["check", str(other_data), "--reference", str(refs)]) == 2
    assert "other data (reference data f00dfeedf00dfeed" in capsys.readouterr().err


def test_a_measured_nan_fails_and_an_undefined_reference_is_reported(reference, make_result, tmp_path, capsys):
    run, refs = reference
    nan_run = degrade(run, **{"val/mIoU": float("nan")})
    assert main(["check", str(nan_run), "--reference", str(refs)]) == 1
    out = capsys.readouterr().out
    assert "FAIL val/mIoU: run cam_baseline/embedded measured NaN (undefined)" in out
    # a metric undefined in the reference run is stored as null and reported, never dropped
    undefined = make_result("und", method="cam_baseline", preset="embedded", extra_metrics={"B/APs": float("nan")})
    assert main(["check", str(undefined), "--write-reference", str(tmp_path / "undefined.json")]) == 0
    stored = json.loads((tmp_path / "undefined.json").read_text())["metrics"]["B/APs"]
    assert stored["value"] is None
    capsys.readouterr()
    assert main(["check", str(undefined), "--reference", str(tmp_path / "undefined.json"), "--all"]) == 0
    assert "ok (undefined)" in capsys.readouterr().out
    defined = degrade(undefined, **{"B/APs": 0.3})
    assert main(["check", str(defined), "--reference", str(tmp_path / "undefined.json")]) == 1
    assert "where the reference is undefined (NaN)" in capsys.readouterr().out


def test_every_committed_reference_loads_and_matches_its_preset():
    from wsisbench.pipeline.runner import config_hash
    from wsisbench.presets import list_presets, load_config
    from wsisbench.projects import REPO_ROOT

    files = sorted((REPO_ROOT / "leaderboards" / "references").rglob("*.json"))
    assert files, "no stored reference"
    for path in files:
        ref = load_reference(path)
        assert path.name == f"{ref.method}_{ref.preset}.json"
        assert ref.preset in list_presets(ref.method), f"{path}: preset {ref.preset!r} no longer exists"
        assert ref.config_hash and ref.data_fingerprint.get("content")
        # a reference whose preset has changed since it was written would be refused by every check
        assert config_hash(load_config(ref.method, ref.preset)) == ref.config_hash, (
            f"{path} is stale: preset {ref.method}/{ref.preset} changed since it was written; "
            "re-run the preset and store it again with --write-reference --force")


def test_rerun_runs_each_preset_in_its_own_process(tmp_path, monkeypatch, capsys):
    """`check --rerun` starts one `wsisbench run` process per reference (so that peak memory and torch threads
    are the preset's own), and a run that fails is a failed reference, not a skipped one."""
    import subprocess
    import sys
    from pathlib import Path

    calls = []

    def fake_run(cmd, *args, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 3)

    monkeypatch.setattr(subprocess, "run", fake_run)
    ref = Path(__file__).resolve().parents[2] / "leaderboards" / "references" / "ci" / "prm_embedded_small.json"
    assert main(["check", "--rerun", str(ref), "--work-root", str(tmp_path)]) == 1
    assert calls == [[sys.executable, "-m", "wsisbench.cli.main", "run", "--method", "prm", "--preset",
                      "embedded_small", "--work-dir", str(tmp_path / "prm" / "embedded_small"), "--device", "cpu"]]
    out = capsys.readouterr().out
    assert "FAIL prm/embedded_small: the run ended with exit status 3" in out and "1 reference(s) failed" in out
