"""The leaderboards match their source documents cell by cell.

The source texts (plain-text extractions of the papers, kept beside the repository in ``../shared``, never
in it) are found by the title of each leaderboard's document. Each table is found in the source text by its
last header line (tab-separated, as extracted), its data rows are read from the lines that follow, and every
label cell and number is compared with the leaderboard file. Numbers quoted in running text (timings,
speed-ups, the VOC 2012 comparison) are found with regular expressions. Changing either the source texts or
the leaderboards makes this test fail.
"""
from __future__ import annotations

import re

import pytest

from wsisbench.leaderboards import load_all
from wsisbench.leaderboards.sources import load_sources

#: (leaderboard, table key) -> (start of the table's last header line, which occurrence of it)
ANCHORS = {
    ("maskx_rcnn", "Table 3.1"): ("\tAP on B\tAP on A", 0),
    ("maskx_rcnn", "Table 3.2"): ("\tAP on B\tAP on A", 1),
    ("maskx_rcnn", "Table 3.3"): ("\tAP on B\tAP on A", 2),
    ("maskx_rcnn", "Table 3.4"): ("\t\t\tAP on B\tAP on A", 0),
    ("maskx_rcnn", "Table 3.5 (a) voc -> non-voc"): ("backbone\tmethod\tAP", 0),
    ("maskx_rcnn", "Table 3.5 (b) non-voc -> voc"): ("backbone\tmethod\tAP", 1),
    ("fickle_net", "Table 1"): ("Methods\tTraining\t<i>val</i>", 0),
    ("fickle_net", "Table 2"): ("Methods\tBackbone\t", 0),
    ("fickle_net", "Table 3"): ("Methods\tTraining Set\tmIoU", 0),
    ("fickle_net", "Table 4"): ("Methods\tTraining\tCAM Extract", 0),
    ("fickle_net", "Table 5"): ("Methods\tDropout Rate", 0),
    ("fickle_net", "Table 6"): ("N\t10\t100", 0),
    ("fickle_net", "Table 7"): ("Inference\t", 0),
    ("no_people_allowed", "Table 1"): ("Solution\tmean IoU", 0),
    ("no_people_allowed", "Table 2"): ("Method Step\tmean IoU", 0),
    ("no_people_allowed", "Table 3"): ("Encoder\tIRNet thr.", 0),
    ("deep_community_learning", "Table 1"): ("The number of CAMs\t", 0),
}
#: tables transcribed from running text, checked by the text tests below.
TEXT_TABLES = {
    ("fickle_net", "Section 4.3 (1) slide text on Table 4"),
    ("deep_community_learning", "Section 2 time cost of post-processing (text)"),
    ("deep_community_learning", "VOC 2012 val comparison"),
    ("prm", "VOC 2012 val comparison"),
}


def norm(text: str) -> str:
    """Compare text modulo markup: HTML tags, ``$\\mathcal{G}$`` -> ``G``, math dollars, spacing."""
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\\mathcal\{(\w+)\}", r"\1", text)
    return " ".join(text.replace("$", "").split())


def number(cell: str) -> float | None:
    """The number a printed cell starts with (``'20 sec/iter'`` -> 20); None for '-' or empty."""
    m = re.match(r"-?\d+(\.\d+)?", norm(cell))
    return float(m.group()) if m else None


@pytest.fixture(scope="module")
def boards():
    return load_all()


@pytest.fixture(scope="module")
def texts(shared_root) -> dict[str, str]:
    """Source text of each document key, found by the paper's title among ``../shared/seeds/*.txt``."""
    candidates = [p.read_text(encoding="utf-8") for p in sorted((shared_root / "seeds").glob("*.txt"))]
    out = {}
    for key, doc in load_sources().items():
        title = norm(doc.title).lower()
        hits = [t for t in candidates if title in norm(t[:20000]).lower()]
        if hits:
            out[key] = hits[0]
    # the VOC 2012 comparison table of the DCL paper, as quoted in the project's protocol notes
    out["voc2012_comparison"] = (shared_root / "docs" / "evaluation-protocols.md").read_text(encoding="utf-8")
    return out


def locate(lines: list[str], prefix: str, occurrence: int) -> int:
    hits = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(hits) > occurrence, f"header {prefix!r} (occurrence {occurrence}) not found in the seed"
    return hits[occurrence]


def test_every_table_is_checked(boards):
    tables = {(n, t.key) for n, b in boards.items() for t in b.tables}
    assert tables == set(ANCHORS) | TEXT_TABLES


def compare_with_seed(table, lines: list[str], prefix: str, occurrence: int) -> list[str]:
    """Differences between a leaderboard table and the seed's table (empty when they agree)."""
    key, problems = table.key, []
    start = locate(lines, prefix, occurrence)
    ncols = len(table.column_labels)

    # header lines: the last ``depth`` lines up to the anchor; colspans are empty cells filled forward
    depth = max(len(c) for c in table.column_labels)
    for level in range(depth):
        cells = lines[start - depth + 1 + level].split("\t")[-ncols:]
        for i in range(1, len(cells)):
            cells[i] = cells[i] or cells[i - 1]
        expected = [c[level] if level < len(c) else "" for c in table.column_labels]
        if [norm(c) for c in cells] != [norm(c) for c in expected]:
            problems.append(f"{key}: header line {level + 1}: seed {cells} vs leaderboard {expected}")

    # data rows: the following lines; a line with text in its first cell only ('Supervision: ...') is a
    # section title inside the table
    def is_row(line: str) -> bool:
        return any(c.strip() for c in line.split("\t")[1:])

    rows, i = [], start + 1
    while len(rows) < len(table.row_labels) and i < len(lines) and lines[i].strip():
        if is_row(lines[i]):
            rows.append(lines[i].split("\t"))
        i += 1
    if len(rows) != len(table.row_labels):
        problems.append(f"{key}: the seed has {len(rows)} rows, the leaderboard {len(table.row_labels)}")
    if i < len(lines) and is_row(lines[i]):
        problems.append(f"{key}: the seed has more rows than the leaderboard ({lines[i]!r})")

    previous: list[str] = []
    for r, cells in enumerate(rows):
        label_cells, value_cells = cells[:-ncols], cells[-ncols:]
        label = table.row_labels[r]
        if len(label_cells) != len(label):
            problems.append(f"{key}, row {r + 1}: label cells {label_cells} vs {label}")
            continue
        for c, (printed, ours) in enumerate(zip(label_cells, label)):
            if printed == "" and ours != "":  # a row span: the cell above holds the text
                printed = previous[c]
            if norm(printed) != norm(ours):
                problems.append(f"{key}, row {r + 1}, label cell {c + 1}: seed {printed!r} vs leaderboard {ours!r}")
        previous = [p or (previous[c] if c < len(previous) else "") for c, p in enumerate(label_cells)]
        printed_values = [number(v) for v in value_cells]
        if printed_values != table.cells[r]:
            problems.append(f"{key}, row {label}: seed {value_cells} vs leaderboard {table.cells[r]}")
    return problems


@pytest.mark.parametrize("board,key", sorted(ANCHORS))
def test_table_matches_seed_cell_by_cell(boards, texts, board, key):
    table = boards[board].table(key)
    lines = texts[table.document].splitlines()
    assert compare_with_seed(table, lines, *ANCHORS[(board, key)]) == []


def test_every_document_has_a_source_text(boards, texts):
    assert {t.document for b in boards.values() for t in b.tables} <= set(texts)


def test_comparison_detects_a_changed_cell(tmp_path, texts):
    """Sensitivity: one number changed in a copy of a leaderboard file is reported with its row."""
    from wsisbench.leaderboards import load_leaderboard
    from wsisbench.leaderboards.sources import leaderboards_dir

    text = (leaderboards_dir() / "fickle_net.yaml").read_text(encoding="utf-8")
    changed = text.replace("cells: [27.7, 12.3, 8.77, 9.99]", "cells: [27.7, 12.3, 8.77, 9.90]")
    assert changed != text
    (tmp_path / "fickle_net.yaml").write_text(changed, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text((leaderboards_dir() / "sources.yaml").read_text(encoding="utf-8"))
    table = load_leaderboard(tmp_path / "fickle_net.yaml").table("Table 6")
    lines = texts[table.document].splitlines()
    problems = compare_with_seed(table, lines, *ANCHORS[("fickle_net", "Table 6")])
    assert len(problems) == 1 and "std (prec" in problems[0] and "9.9" in problems[0]


def _entry(boards, board, table, row, column=None):
    hits = [e for e in boards[board].table(table).entries if e.row == row and (column is None or e.column == column)]
    assert len(hits) == 1, (board, table, row, column, hits)
    return hits[0]


def test_ficklenet_slide_text(boards, texts):
    text = texts["ficklenet_cvpr2019"]
    train, cam = re.search(r"각각 ([\d.]+), ([\d.]+)배", text).groups()
    gpu = re.search(r"GPU usage는 (\d+)% 증가", text).group(1)
    key = "Section 4.3 (1) slide text on Table 4"
    assert _entry(boards, "fickle_net", key, "Training").value == float(train) == 15.4
    assert _entry(boards, "fickle_net", key, "CAM extraction").value == float(cam) == 14.2
    assert _entry(boards, "fickle_net", key, "GPU usage").value == float(gpu) == 12


def test_dcl_timing_text(boards, texts):
    text = texts["dcl_wacv2021"]
    key = "Section 2 time cost of post-processing (text)"
    seconds = re.search(r"takes (\d+) seconds per image \(5 multi-scales with flip\)", text).group(1)
    lo, hi = re.search(r"\$(\d+) \\sim (\d+)\$ seconds on a CPU", text).groups()
    assert _entry(boards, "deep_community_learning", key, "network inference").value == float(seconds)
    post = _entry(boards, "deep_community_learning", key, "post-processing")
    assert post.range == (float(lo), float(hi)) and post.value == float(hi)


def test_voc2012_comparison(boards, texts):
    text = texts["voc2012_comparison"]
    found = dict((m[0], m[1:]) for m in re.findall(
        r"(PRM|Label-PEnet|IRNet|Deep Community Learning) ([\d.-]+) / ([\d.-]+) / ([\d.-]+) / ([\d.-]+)", text))
    assert set(found) == {"PRM", "Label-PEnet", "IRNet", "Deep Community Learning"}
    for board, name in (("prm", "PRM"), ("prm", "Label-PEnet"), ("prm", "IRNet"),
                        ("deep_community_learning", "Deep Community Learning")):
        table = boards[board].table("VOC 2012 val comparison")
        r = [" | ".join(label) for label in table.row_labels].index(name)
        assert table.cells[r] == [number(v) for v in found[name]], name
        for e in table.entries:
            assert e.protocol == "voc" and e.protocol_presumed, "comparison numbers: protocol unknown, voc presumed"
