"""The method contract: a new method is one folder (plus its presets and its paper's numbers), and `wsisbench
list`, `run` and `report` pick it up with no other change. Also: what every built-in method folder holds."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wsisbench.projects import REPO_ROOT, method_folders

TOY_METHOD = '''\
"""A toy method: predicts background everywhere and scores it with the common evaluator."""
from wsisbench.datasets.png import write_label_png
from wsisbench.evaluation.api import evaluate_semantic
from wsisbench.pipeline import Method, Stage
from wsisbench.registry import METHODS


def split_pairs(ctx, split):
    from wsisbench.datasets.voc import VOCSegDataset

    names = ctx.benchmark.class_names(ctx.data_root)
    ds = VOCSegDataset(data_root=str(ctx.data_root), split=split, show_progress=False,
                       metainfo=dict(classes=tuple(names)))
    return [(d["img_id"], d["seg_map_path"]) for d in (ds.get_data_info(i) for i in range(len(ds)))]


def predict_val(ctx, out_dir):
    import numpy as np
    from PIL import Image

    (out_dir / "labels").mkdir()
    for name, gt in split_pairs(ctx, ctx.cfg.benchmark.eval_split):
        write_label_png(out_dir / "labels" / f"{name}.png", np.zeros(Image.open(gt).size[::-1], np.uint8))
    return {"profile": {"sec_per_img": 0.001}}


def evaluate_val(ctx, out_dir):
    names = ["background", *ctx.benchmark.class_names(ctx.data_root)]
    entry = evaluate_semantic(split_pairs(ctx, ctx.cfg.benchmark.eval_split), ctx.artifact("predict_val", "labels"),
                              names, split="val", progress=False)
    return {"evaluations": {"val": entry}}


@METHODS.register_module(name="toy_method")
class ToyMethod(Method):
    summary = "toy: background everywhere"

    def build_stages(self):
        return [Stage("predict_val", predict_val, "background label maps"),
                Stage("evaluate_val", evaluate_val, "semantic mIoU", inputs=("predict_val",))]
'''

TOY_CONFIG = '''\
# Toy method on a tiny embedded benchmark.
_base_ = []
method = 'toy_method'
custom_imports = dict(imports=['toy_method'], allow_failed_imports=False)
default_scope = 'wsisbench'
seed = 0
stages = None
requires_pretrained = False
pretrained = None
benchmark = dict(name='embedded', data_root=None, num_train=4, num_val=3, image_size=32, seed=0,
                 train_split='train', eval_split='val')
'''

TOY_LEADERBOARD = '''\
schema: wsisbench.leaderboard/1
paper: "A Toy Paper"
document: toy_paper_2024
documents:
  toy_paper_2024: {title: "A Toy Paper", venue: "Toy Workshop 2024", arxiv: "2401.00001"}
defaults: {benchmark: embedded, split: val, protocol: semantic, unit: percent, metric: mIoU,
           backbone: none, training: none}
tables:
  - table: Table 1
    caption: "The toy's only result."
    columns:
      - {label: mIoU}
    rows:
      - {label: [Toy], method: toy_method, cells: [42.0]}
'''

TOY_METAFILE = '''\
schema: wsisbench.metafile/1
method: toy_method
paper: toy_paper_2024
leaderboard: toy_method
presets:
  embedded:
    - select: {table: Table 1}
'''


def _toy_project(root: Path) -> Path:
    """The three places a new method touches, in a project root of their own."""
    (root / "methods" / "toy_method").mkdir(parents=True)
    (root / "methods" / "toy_method" / "__init__.py").write_text(TOY_METHOD)
    (root / "methods" / "toy_method" / "metafile.yaml").write_text(TOY_METAFILE)
    (root / "methods" / "toy_method" / "README.md").write_text("# Toy method\n")
    (root / "configs" / "toy_method").mkdir(parents=True)
    (root / "configs" / "toy_method" / "embedded.py").write_text(TOY_CONFIG)
    (root / "leaderboards").mkdir()
    (root / "leaderboards" / "toy_method.yaml").write_text(TOY_LEADERBOARD)
    return root


def _cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wsisbench.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.mark.slow
def test_a_toy_method_from_one_folder_is_listed_run_and_reported(tmp_path):
    project = _toy_project(tmp_path / "toy_project")
    env = dict(os.environ, WSISBENCH_PATH=str(project), WSISBENCH_HOME=str(tmp_path / "home"))

    listed = _cli(["list", "presets"], env)
    assert listed.returncode == 0, listed.stderr
    assert "toy_method" in listed.stdout and "toy: background everywhere" in listed.stdout
    assert "* embedded" in listed.stdout  # the preset reproduces a paper cell (its metafile says so)

    run = _cli(["run", "--method", "toy_method", "--work-dir", str(tmp_path / "run"), "--device", "cpu"], env)
    assert run.returncode == 0, run.stderr
    result = yaml.safe_load((tmp_path / "run" / "result.json").read_text())
    assert result["method"] == "toy_method" and 0 < result["metrics"]["val/mIoU"] < 1

    report = _cli(["report", str(tmp_path / "run"), "--format", "md", "--out", str(tmp_path / "report")], env)
    assert report.returncode == 0, report.stderr
    md = (tmp_path / "report" / "report.md").read_text()
    assert "A Toy Paper, Table 1" in md and "ours: toy_method/embedded" in md


def test_every_method_folder_has_its_readme_metafile_and_configs():
    from wsisbench.presets import configs_dir

    folders = method_folders()
    assert {"fickle_net", "maskx_rcnn", "cam_baseline", "grabcut_boxes", "grabcut_mask_rcnn"} <= set(folders)
    for name, folder in folders.items():
        assert (folder / "README.md").is_file(), f"{folder}/README.md"
        assert (folder / "metafile.yaml").is_file(), f"{folder}/metafile.yaml"
        assert configs_dir(name) is not None and (configs_dir(name) / "embedded.py").is_file(), name


def test_adding_a_method_lists_at_most_three_places():
    text = (REPO_ROOT / "docs" / "adding-a-method.md").read_text()
    places = re.findall(r"^\d\. \*\*`([^`]+)`\*\*", text, flags=re.M)
    assert places == ["wsisbench/methods/<name>/", "configs/<name>/", "leaderboards/<name>.yaml"]

