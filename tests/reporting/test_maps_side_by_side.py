"""The side-by-side figure of named maps (PRM's class and peak response maps) across runs on shared images."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from wsisbench.pipeline.qualitative import qualitative_entry
from wsisbench.reporting import overlays
from wsisbench.reporting.results import load_runs


def _run(root: Path, name: str, images: list[Path], rng) -> Path:
    stage = root / name / "predict_val"
    stage.mkdir(parents=True)
    entries = []
    for img in images:
        maps = {}
        for label in ("class response map", "peak response map"):
            maps[label] = stage / "qualitative" / f"{img.stem}_{label[:4]}.npy"
            maps[label].parent.mkdir(exist_ok=True)
            np.save(maps[label], rng.random((24, 32)).astype(np.float32))
        entries.append(qualitative_entry(stage, img, maps=maps, caption="c (score 0.90), peak at (3, 4)"))
    result = {"schema": "wsisbench.result/1", "method": "prm", "preset": name, "metrics": {"val/ABO": 0.5},
              "qualitative": entries}
    (root / name / "result.json").write_text(json.dumps(result))
    return root / name


def test_maps_of_two_runs_on_their_shared_images(tmp_path):
    rng = np.random.default_rng(0)
    images = []
    for i in range(3):
        images.append(tmp_path / f"img{i}.png")
        Image.fromarray((rng.random((24, 32, 3)) * 255).astype(np.uint8)).save(images[-1])
    a = _run(tmp_path, "embedded", images, rng)
    b = _run(tmp_path, "mechanism_residual_attention", images[1:], rng)
    entry = json.loads((a / "result.json").read_text())["qualitative"][0]
    assert entry["maps"]["peak response map"] == "predict_val/qualitative/img0_peak.npy"  # run-relative
    runs = load_runs([a, b])
    png = overlays.maps_side_by_side(runs)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    fig = Image.open(__import__("io").BytesIO(png))
    assert fig.width > fig.height  # 2 shared images x (2 runs x 2 maps) panels
    assert overlays.qualitative_figure(runs[0]) is None  # maps only: nothing for the per-run figure
    c = _run(tmp_path, "other", [tmp_path / "elsewhere.png"], rng)
    assert overlays.maps_side_by_side(load_runs([a, c])) is None  # no image in common
