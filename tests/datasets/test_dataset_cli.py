"""``wsisbench data check`` / ``data convert`` and the dataset base configs."""
import json
from pathlib import Path

from wsisbench.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def test_data_check_cli(voc_sample_root, tmp_path, capsys):
    assert main(["data", "check", "--layout", "voc", "--data-root", str(voc_sample_root)]) == 0
    assert "ok: no problems found" in capsys.readouterr().out
    assert main(["data", "check", "--layout", "coco", "--data-root", str(tmp_path), "--splits", "val"]) == 1
    out = capsys.readouterr().out
    assert "instances_val.json: annotation file of split 'val' is missing" in out
    assert main(["data", "check", "--benchmark", "nosuch", "--data-root", str(tmp_path)]) == 2


def test_data_convert_cli(coco_mini_json, voc_sample_root, tmp_path, capsys):
    assert main(["data", "convert", "coco-split", "--ann", str(coco_mini_json), "--out-dir", str(tmp_path)]) == 0
    assert "288 annotations" in capsys.readouterr().out
    assert main(["data", "convert", "voc2coco", "--voc-root", str(voc_sample_root), "--split", "sample",
                 "--out", str(tmp_path / "v.json")]) == 0
    assert len(json.loads((tmp_path / "v.json").read_text())["annotations"]) == 2
    assert main(["data", "convert", "stats", "--layout", "coco", "--ann", str(coco_mini_json),
                 "--csv", str(tmp_path / "s.csv")]) == 0
    assert "person" in capsys.readouterr().out and (tmp_path / "s.csv").is_file()
