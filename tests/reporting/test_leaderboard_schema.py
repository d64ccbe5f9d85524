"""Leaderboard files load and validate; broken files fail with messages that name file and entry."""
from __future__ import annotations

import textwrap

import pytest

from wsisbench.errors import UnknownNameError, WsisbenchError
from wsisbench.leaderboards import list_leaderboards, load_all, load_leaderboard
from wsisbench.leaderboards.mapping import load_mappings, select_entries
from wsisbench.leaderboards.sources import document_file, leaderboards_dir, load_sources
from wsisbench.leaderboards.units import from_unit, to_unit
from wsisbench.leaderboards.vocabulary import METRICS, UNITS


def test_all_leaderboards_load_with_complete_entries():
    boards = load_all()
    assert set(boards) == {"mask_x_rcnn", "ficklenet", "no_people_allowed", "deep_community_learning", "prm"}
    sources = load_sources()
    for board in boards.values():
        assert board.entries
        for e in board.entries:
            assert e.method and e.backbone and e.training and e.benchmark and e.split and e.variant
            assert e.metric in METRICS and e.unit in UNITS and e.document in sources
            assert e.source.startswith(e.document)


def test_source_documents_exist_where_the_shared_folder_is_present():
    for doc in load_sources().values():
        path = document_file(doc)
        if path is None:
            pytest.skip("no shared folder on this machine")
        assert path.is_file(), path


def test_counts_and_spot_values():
    boards = load_all()
    m = boards["mask_x_rcnn"]
    assert len(m.table("Table 3.5 (a) voc -> non-voc").entries) == 60
    ours = [e for e in m.entries if e.table == "Table 3.5" and e.method == "mask_x_rcnn" and e.metric == "AP"]
    assert sorted((e.backbone, e.direction, e.value) for e in ours) == [
        ("R-101-FPN", "non-voc->voc", 29.5), ("R-101-FPN", "voc->non-voc", 23.8),
        ("R-50-FPN", "non-voc->voc", 28.9), ("R-50-FPN", "voc->non-voc", 23.7)]
    f = boards["ficklenet"]
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
    with pytest.raises(UnknownNameError, match="ficklenet"):
        load_leaderboard("fickle")
    assert "sources" not in list_leaderboards() and "mappings" not in list_leaderboards()


GOOD = """\
schema: wsisbench.leaderboard/1
paper: "A test paper"
document: 003_a727964de9e2fab5.txt
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
    ("document: 003_a727964de9e2fab5.txt", "document: 003_missing.txt", "document '003_missing.txt' is not listed"),
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


def test_missing_source_file_is_reported(tmp_path, monkeypatch):
    (tmp_path / "seeds").mkdir()
    monkeypatch.setenv("WSISBENCH_SHARED", str(tmp_path))  # a shared folder without the seed file
    path = _write(tmp_path, GOOD)
    with pytest.raises(WsisbenchError, match=r"003_a727964de9e2fab5.txt' should be at .* which does not exist"):
        load_leaderboard(path)


def test_mappings_select_cells_and_units_convert():
    boards = load_all()
    maps = {m.name: m for m in load_mappings()}
    m = maps["mask_x_rcnn-voc2nonvoc-r50"]
    entries = select_entries(boards["mask_x_rcnn"], m.select)
    assert len(entries) == 6 and {e.column for e in entries} == {"AP", "AP ₅₀", "AP ₇₅", "AP _S", "AP _M", "AP _L"}
    assert m.result_key(entries[0]) == "B/AP"
    f = maps["ficklenet-main"]
    cells = select_entries(boards["ficklenet"], f.select)
    assert {(e.table, e.column) for e in cells} == {("Table 1", "val"), ("Table 1", "test")}
    a = maps["ficklenet-paper-ablations"]
    cells = select_entries(boards["ficklenet"], a.select)
    assert {(e.table, e.column) for e in cells} == {("Table 5", "mIoU"), ("Table 7", "S | S")}
    assert a.result_key(cells[0]) == "val/mIoU"
    emb = maps["ficklenet-embedded-p05"]   # embedded ablations score the pseudo-labels (train split)
    (cell,) = select_entries(boards["ficklenet"], emb.select)
    assert cell.row == "FickleNet | 0.5" and emb.result_key(cell) == "pseudo_train/mIoU"
    assert to_unit(0.612, "val/mIoU", "percent") == pytest.approx(61.2)
    assert from_unit(10.1, "GB", "memory/cuda_max_allocated_mib") == pytest.approx(10.1 * 1024)
    assert from_unit(2.98, "s/img", "time/sec_per_img") == 2.98
    with pytest.raises(WsisbenchError, match="cannot compare"):
        to_unit(0.5, "val/mIoU", "s/img")


def test_mappings_name_existing_presets_and_select_cells():
    """Every exact preset a mapping names is a config of one of its methods, and every mapping selects cells
    (a renamed preset or a mistyped row label would otherwise silently drop rows from the reports)."""
    configs = leaderboards_dir().parent / "configs"
    boards = load_all()
    for m in load_mappings():
        assert select_entries(boards[m.leaderboard], m.select), f"mapping {m.name} selects no cell"
        methods = m.match.get("method", [])
        methods = [methods] if isinstance(methods, str) else methods
        presets = m.match.get("preset", [])
        presets = [presets] if isinstance(presets, str) else presets
        for preset in presets:
            if any(c in preset for c in "*?["):
                continue
            assert any((configs / meth / f"{preset}.py").exists() for meth in methods), \
                f"mapping {m.name}: no configs/<{'|'.join(methods)}>/{preset}.py"
