"""``wsisbench eval`` on a small VOC-layout dataset written in a temporary folder."""
from __future__ import annotations

import json

import numpy as np
import pytest

from wsisbench.cli.main import main
from wsisbench.evaluation.masks import encode_mask, json_rle


@pytest.fixture(scope="module")
def voc(tmp_path_factory):
    """3 images, classes 'a' (1) and 'b' (2), void band around objects; predictions for them."""
    from wsisbench.datasets.png import write_label_png

    root = tmp_path_factory.mktemp("voc")
    voc = root / "VOC2012"
    rng = np.random.default_rng(0)
    ids, records = ["x_1", "x_2", "x_3"], []
    sem = root / "sem_pred"
    sem.mkdir()
    for n, img_id in enumerate(ids):
        cls = np.zeros((30, 40), np.uint8)
        obj = np.zeros((30, 40), np.uint8)
        for k in range(1, 3):
            y, x = 3 + 12 * (k - 1), 4 + 5 * n
            cls[y - 1:y + 9, x - 1:x + 13] = 255
            obj[y - 1:y + 9, x - 1:x + 13] = 255
            cls[y:y + 8, x:x + 12] = k
            obj[y:y + 8, x:x + 12] = k
            m = obj == k
            records.append({"image_id": img_id, "category_id": k, "score": float(rng.random()),
                            "segmentation": json_rle(encode_mask(np.roll(m, n, 1)))})
        write_label_png(voc / "SegmentationClass" / f"{img_id}.png", cls)
        write_label_png(voc / "SegmentationObject" / f"{img_id}.png", obj)
        write_label_png(sem / f"{img_id}.png", np.where(cls == 255, 0, cls))
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(ids) + "\n")
    (root / "meta.json").write_text(json.dumps({"classes": ["background", "a", "b"]}))
    pred = root / "pred.json"
    pred.write_text(json.dumps(records))
    return root, pred, sem


def test_instance_json_output(voc, capsys):
    root, pred, _ = voc
    assert main(["eval", "--gt", str(root), "--split", "val", "--pred", str(pred), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "voc" and out["num_images"] == 3 and out["num_gt"] == 6
    assert set(out["metrics"]) == {"mAP@0.25", "mAP@0.5", "mAP@0.7", "mAP@0.75", "ABO", "ABO_class_mean"}
    assert out["metrics"]["mAP@0.25"] == 1.0 and out["classes"] == ["a", "b"]
    assert 0 < out["metrics"]["ABO"] < 1


def test_instance_table_and_out_file(voc, tmp_path, capsys):
    root, pred, _ = voc
    out_file = tmp_path / "result.json"
    assert main(["eval", "--gt", str(root), "--split", "val", "--pred", str(pred), "--protocol", "coco",
                 "--iou-thrs", "0.5,0.75", "--classes", "b", "--out", str(out_file)]) == 0
    text = capsys.readouterr().out
    assert "mAP@0.5" in text and "protocol: coco" in text and "class" in text
    saved = json.loads(out_file.read_text())
    entry = saved["evaluations"]["val"]
    assert entry["protocol"] == "coco" and entry["classes"] == ["b"] and entry["iou_thrs"] == [0.5, 0.75]
    assert saved["metrics"]["val/mAP@0.5"] == entry["metrics"]["mAP@0.5"]
    assert len(entry["stats"]) == 12


def test_semantic_folder(voc, capsys):
    root, _, sem = voc
    assert main(["eval", "--gt", str(root), "--split", "val", "--pred", str(sem), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "semantic" and out["metrics"]["mIoU"] == 1.0
    assert list(out["per_class"]["IoU"]) == ["background", "a", "b"]


def test_errors_exit_2(voc, tmp_path, capsys):
    root, pred, sem = voc
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"image_id": "zzz", "category_id": 1, "score": 1.0,
                                "segmentation": {"size": [30, 40], "counts": "0"}}]))
    assert main(["eval", "--gt", str(root), "--split", "val", "--pred", str(bad)]) == 2
    assert "unknown image_id 'zzz'" in capsys.readouterr().err
    assert main(["eval", "--gt", str(root), "--split", "val", "--pred", str(sem), "--protocol", "voc"]) == 2
    assert main(["eval", "--benchmark", "no-such-benchmark", "--pred", str(pred)]) == 2
    assert "valid benchmarks" in capsys.readouterr().err
    assert main(["eval", "--gt", str(root), "--split", "val", "--pred", str(tmp_path / "missing.json")]) == 2


def test_benchmark_with_data_root(voc, capsys):
    """``--benchmark voc2012 --data-root DIR``: VOC classes, the benchmark's protocol and policy."""
    root, pred, sem = voc
    assert main(["eval", "--benchmark", "voc2012", "--data-root", str(root), "--pred", str(pred), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "voc" and out["split"] == "val" and out["classes"][:2] == ["aeroplane", "bicycle"]
    assert len(out["classes"]) == 20 and out["metrics"]["mAP@0.25"] == 1.0
    assert main(["eval", "--benchmark", "voc2012", "--data-root", str(root), "--pred", str(sem), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == "semantic" and len(out["per_class"]["IoU"]) == 21 and out["out_of_range"] == "error"
