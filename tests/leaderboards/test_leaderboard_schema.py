"""Leaderboard files load and validate; broken files fail with messages that name file and entry."""
from __future__ import annotations

import textwrap

import pytest

from wsisbench.errors import UnknownNameError, WsisbenchError
from wsisbench.leaderboards import list_leaderboards, load_all, load_leaderboard
from wsisbench.leaderboards.mapping import load_mappings, select_entries
from wsisbench.leaderboards.metafile import load_metafiles
from wsisbench.leaderboards.sources import leaderboards_dir, load_sources
from wsisbench.leaderboards.units import from_unit, to_unit
from wsisbench.leaderboards.vocabulary import METRICS, UNITS


def test_all_leaderboards_load_with_complete_entries():
    boards = load_all()
    assert set(boards) == {"maskx_rcnn", "fickle_net", "no_people_allowed", "deep_community_learning", "prm"}
    sources = load_sources()
    for board in boards.values():
        assert board.entries
        for e in board.entries:
            assert e.method and e.backbone and e.training and e.benchmark and e.split and e.variant
            assert e.metric in METRICS and e.unit in UNITS and e.document in sources
            assert e.source.startswith(e.document)


def test_sources_cite_papers_by_title_venue_and_arxiv_id():
    import re

    for doc in load_sources().values():
        assert doc.title and doc.venue, doc.name
        assert re.fullmatch(r"\d{4}\.\d{4,5}", doc.arxiv), doc.name
        assert doc.citation().startswith(doc.title) and f"arXiv:{doc.arxiv}" in doc.citation()


def test_counts_and_spot_values():
    boards = load_all()
    m = boards["maskx_rcnn"]
    assert len(m.table("Table 3.5 (a) voc -> non-voc").entries) == 60
    ours = [e for e in m.entries if e.table == "Table 3.5" and e.method == "maskx_rcnn" and e.metric == "AP"]
    assert sorted((e.backbone, e.direction, e.value) for e in ours) == [
        ("R-101-FPN", "non-voc->voc", 29.5), ("R-101-FPN", "voc->non-voc", 23.8),
        ("R-50-FPN", "non-voc->voc", 28.9), ("R-50-FPN", "voc->non-voc", 23.7)]
    f = boards["fickle_net"]
    (meff,) = [e for e in f.table("Table 1").entries if e.method == "MEFF"]  # val printed as '-': no entry
    assert (meff.split, meff.value) == ("test", 55.6)
    t4 = {(e.row, e.metric): (e.value, e.unit) for e in f.table("Table 4").entries}
    assert t4[("Naive", "gpu_memory")] == (8.4, "GB") and t4[("Expansion", "sec_per_iter")] == (1.3, "s/iter")
    assert "+20%" in [e for e in f.entries if e.metric == "memory_increase"][0].note
    # numbers keep the precision they were printed with (39.80, not 39.8; 20, not 20.0)
    (person,) = [e for e in boards["no_people_allowed"].table("Table 3").entries if e.conditions["person"] == "yes"]
    assert (person.value, person.decimals) == (39.8, 2)
    assert [e.decimals for e in f.table("Table 4").entries if e.row == "Naive"] == [0, 2, 1]
    irnet = [e for e in boards["prm"].entries if e.method == "IRNet"]
    assert sorted(e.metric for e in irnet) == ["mAP@0.5", "mAP@0.75"]


def test_unknown_leaderboard_lists_the_valid_names():
    with pytest.raises(UnknownNameError, match="fickle_net"):
        load_leaderboard("fickle")
    with pytest.raises(WsisbenchError, match="now called 'fickle_net'"):
        load_leaderboard("ficklenet")  # the name of earlier versions
    assert "sources" not in list_leaderboards()


GOOD = """\
schema: wsisbench.leaderboard/1
paper: "A test paper"
document: no_people_allowed_lid2020
defaults: {benchmark: lid2020, protocol: semantic, unit: percent, split: val, training: image-level}
tables:
  - table: Table 9
    columns:
      - {label: mean IoU, metric: mIoU}
    rows:
      - {label: [A], method: a, backbone: R50, cells: [30.5]}
      - {label: [B], method: b, backbone: R50, cells: [31.5]}
"""


def _write(tmp_path, text: str):
    (tmp_path / "sources.yaml").write_text((leaderboards_dir() / "sources.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_file_loads(tmp_path):
    board = load_leaderboard(_write(tmp_path, GOOD))
    assert [(e.method, e.value, e.variant) for e in board.entries] == [("a", 30.5, "A"), ("b", 31.5, "B")]


@pytest.mark.parametrize("old,new,expected", [
    ("metric: mIoU", "metric: mIOU", "Table 9, row 'A', column 'mean IoU': unknown metric 'mIOU'"),
    ("cells: [30.5]", "cells: ['30,5']", "row 'A', column 'mean IoU': value '30,5' is not a finite number"),
    ("document: no_people_allowed_lid2020", "document: nowhere_2020", "document 'nowhere_2020' is not listed"),
    ("method: b, backbone: R50", "method: a, variant: A, backbone: R50",
     "Table 9: duplicate entries for method 'a', variant 'A', metric 'mIoU' (row 'A', column 'mean IoU'; row 'B'"),
    ("{label: [B],", "{label: [A],", "Table 9: row label 'A' appears twice"),
    ("cells: [31.5]", "cells: [31.5, 2]", "row 'B': 'cells' must be a list of 1 values"),
    ("{label: [B],", "{label: [yes],", "label cell True must be a string"),
    ("{label: mean IoU, metric: mIoU}", "{label: mean IoU, metrics: mIoU}", "unknown key(s) 'metrics'"),
    ("unit: percent", "unit: percent, protocol: vocc", "unknown protocol 'vocc'"),
    ("cells: [30.5]", "cells: [130.5]", "outside [0, 100] for a percent"),
    ("backbone: R50, cells: [30.5]", "cells: [30.5]", "row 'A', column 'mean IoU': missing or empty field 'backbone'"),
])
def test_validation_errors_name_file_and_entry(tmp_path, old, new, expected):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(WsisbenchError) as err:
        load_leaderboard(path)
    msg = str(err.value)
    assert str(path) in msg and expected in msg, msg


def test_duplicate_table_is_reported(tmp_path):
    table = GOOD[GOOD.index("  - table: Table 9"):]
    with pytest.raises(WsisbenchError, match="Table 9: the table appears twice"):
        load_leaderboard(_write(tmp_path, GOOD + table))


def test_mappings_select_cells_and_units_convert():
    boards = load_all()
    maps = {m.name: m for m in load_mappings()}
    m = maps["maskx_rcnn/coco_r50_voc2nonvoc_e2e_maskx#1"]
    entries = select_entries(boards["maskx_rcnn"], m.select)
    assert len(entries) == 6 and {e.column for e in entries} == {"AP", "AP ₅₀", "AP ₇₅", "AP _S", "AP _M", "AP _L"}
    assert m.result_key(entries[0]) == "B/AP"
    f = maps["fickle_net/voc2012_vgg16#1"]
    cells = select_entries(boards["fickle_net"], f.select)
    assert {(e.table, e.column) for e in cells} == {("Table 1", "val"), ("Table 1", "test")}
    a = maps["fickle_net/voc2012_vgg16#2"]
    cells = select_entries(boards["fickle_net"], a.select)
    assert {(e.table, e.column) for e in cells} == {("Table 5", "mIoU"), ("Table 7", "S | S")}
    assert a.result_key(cells[0]) == "val/mIoU"
    emb = maps["fickle_net/embedded_p05#1"]   # embedded ablations score the pseudo-labels (train split)
    (cell,) = select_entries(boards["fickle_net"], emb.select)
    assert cell.row == "FickleNet | 0.5" and emb.result_key(cell) == "pseudo_train/mIoU"
    assert to_unit(0.612, "val/mIoU", "percent") == pytest.approx(61.2)
    assert from_unit(10.1, "GB", "memory/cuda_max_allocated_mib") == pytest.approx(10.1 * 1024)
    assert from_unit(2.98, "s/img", "time/sec_per_img") == 2.98
    with pytest.raises(WsisbenchError, match="cannot compare"):
        to_unit(0.5, "val/mIoU", "s/img")


def test_metafiles_list_every_preset_and_their_cells_select_entries():
    """Each metafile names exactly its method's presets, and every cell selects entries (a renamed preset or a
    mistyped row label would otherwise silently drop rows from the reports)."""
    from wsisbench.presets import list_presets

    boards = load_all()
    metafiles = load_metafiles()
    assert {"fickle_net", "maskx_rcnn", "cam_baseline", "grabcut_boxes", "grabcut_mask_rcnn"} <= set(metafiles)
    for method, meta in metafiles.items():
        assert sorted(meta.presets) == list_presets(method), f"{meta.path}: presets differ from configs/{method}/"
    for m in load_mappings():
        assert select_entries(boards[m.leaderboard], m.select), f"mapping {m.name} selects no cell"


def test_one_spelling_per_method():
    """The registry name = the method folder = the configs folder = the leaderboard 'method' = the tests folder."""
    from wsisbench.presets import configs_dir, registered_methods
    from wsisbench.projects import REPO_ROOT, method_folders

    folders = method_folders()
    assert set(folders) <= set(registered_methods())
    for method, folder in folders.items():
        assert configs_dir(method) is not None, method
        kind = folder.parent.name  # 'methods' or 'baselines'
        assert (REPO_ROOT / "tests" / kind / method).is_dir(), f"tests/{kind}/{method} is missing"
    methods_in_boards = {e.method for b in load_all().values() for e in b.entries}
    for method in ("fickle_net", "maskx_rcnn", "grabcut_boxes", "grabcut_mask_rcnn"):
        assert method in methods_in_boards
    assert not {"ficklenet", "mask_x_rcnn", "mask_x", "dcl"} & methods_in_boards
