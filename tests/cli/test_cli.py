"""The command line: help everywhere, listing, and clear errors on bad input."""
from __future__ import annotations

import subprocess
import sys

import pytest

from wsisbench.cli.main import build_parser, main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wsisbench.cli.main", *args], capture_output=True, text=True,
                          timeout=300)


def test_every_command_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"run", "list", "data", "eval", "report", "check"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage:" in capsys.readouterr().out
    for action in ("generate", "check", "convert"):
        with pytest.raises(SystemExit):
            main(["data", action, "--help"])
        assert "usage:" in capsys.readouterr().out


def test_list_shows_methods_presets_benchmarks(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for text in ("cam_baseline", "embedded", "voc2012", "coco2017", "lid2020"):
        assert text in out


def test_unknown_method_lists_valid_names():
    proc = run_cli("run", "--method", "no_such_method")
    assert proc.returncode == 2
    assert "unknown method 'no_such_method'" in proc.stderr and "cam_baseline" in proc.stderr


def test_unknown_preset_lists_valid_presets():
    proc = run_cli("run", "--method", "cam_baseline", "--preset", "nope")
    assert proc.returncode == 2
    assert "unknown preset of cam_baseline 'nope'" in proc.stderr and "embedded" in proc.stderr


def test_unknown_config_key_is_named():
    proc = run_cli("run", "--method", "cam_baseline", "--cfg-options", "train.max_iterz=3")
    assert proc.returncode == 2
    assert "train.max_iterz" in proc.stderr and "max_iters" in proc.stderr


def test_an_unparsable_cfg_option_is_a_clear_error():
    proc = run_cli("run", "--method", "cam_baseline", "--cfg-options", "train=dict(max_iters=3,batch_size=2)")
    assert proc.returncode == 2
    assert "cannot parse 'train=dict(max_iters=3,batch_size=2)'" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_data_root_names_path_and_layout(tmp_path):
    missing = tmp_path / "no_voc_here"
    proc = run_cli("run", "--method", "cam_baseline", "--preset", "voc2012", "--data-root", str(missing),
                   "--cfg-options", f"pretrained={tmp_path / 'w.pth'}")
    assert proc.returncode == 2
    assert "w.pth does not exist" in proc.stderr  # weights are checked first
    (tmp_path / "w.pth").write_bytes(b"")
    proc = run_cli("run", "--method", "cam_baseline", "--preset", "voc2012", "--data-root", str(missing),
                   "--cfg-options", f"pretrained={tmp_path / 'w.pth'}", "--work-dir", str(tmp_path / "wd"))
    assert proc.returncode == 2
    assert str(missing) in proc.stderr and "SegmentationClass" in proc.stderr


def test_paper_preset_without_checkpoint_says_how_to_pass_one():
    proc = run_cli("run", "--method", "cam_baseline", "--preset", "voc2012", "--data-root", "/nonexistent")
    assert proc.returncode == 2
    assert "--cfg-options pretrained=PATH" in proc.stderr


def test_data_check_of_a_broken_tree_names_the_file(tmp_path):
    voc = tmp_path / "VOC2012"
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True)
    (voc / "JPEGImages").mkdir()
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("img1\n")
    proc = run_cli("data", "check", "--layout", "voc", "--data-root", str(tmp_path))
    assert proc.returncode == 1
    assert "img1.jpg" in proc.stdout + proc.stderr
