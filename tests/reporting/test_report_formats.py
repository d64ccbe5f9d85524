"""`wsisbench report`: Markdown, LaTeX and HTML from fixture result.json files, with plots and paper layouts."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess

import pytest

from wsisbench.cli.main import main
from wsisbench.errors import WsisbenchError
from wsisbench.leaderboards import load_leaderboard
from wsisbench.leaderboards.mapping import load_mappings, pairs_for_run
from wsisbench.reporting import write_report
from wsisbench.reporting.paper_tables import regenerate
from wsisbench.reporting.results import load_run, load_runs

MASKX_B = {"B/AP": 0.221, "B/AP50": 0.40, "B/AP75": 0.21, "B/APs": 0.1, "B/APm": 0.25,
           "B/APl": 0.3}


@pytest.fixture
def runs(make_result):
    """An embedded FickleNet run (plots, qualitative), a paper-data one without optional fields, a
    Mask^X R-CNN run for Table 3.5 and two FickleNet ablations mapped by their config (Tables 5, 7)."""
    emb = make_result("fickle_emb", method="fickle_net", preset="embedded", data="embedded", miou=0.41)
    paper = make_result("fickle_voc", method="fickle_net", preset="voc2012_vgg16", data="paper", miou=0.605,
                        with_pr=False, with_qualitative=False)
    maskx = make_result("maskx", method="maskx_rcnn", preset="coco_r50_voc2nonvoc_e2e_maskx", data="paper",
                        with_qualitative=False, extra_metrics=MASKX_B)
    p05 = make_result("fickle_p05", method="fickle_net_ablation", preset="p05", data="embedded", miou=0.33,
                      with_pr=False, with_qualitative=False)
    gd = make_result("fickle_gd", method="fickle_net_ablation", preset="train_g_infer_d", data="embedded", miou=0.30,
                     with_pr=False, with_qualitative=False)
    for path, select in ((p05, {"table": "Table 5", "row": "FickleNet | 0.5"}),
                         (gd, {"table": "Table 7", "column": "G | D"})):
        raw = json.loads(path.read_text())
        raw["config"]["leaderboard"] = {"leaderboard": "fickle_net", "select": select}
        path.write_text(json.dumps(raw))
    return {"emb": emb, "paper": paper, "maskx": maskx, "p05": p05, "gd": gd}


def test_report_in_three_formats_with_plots(runs, tmp_path):
    out = tmp_path / "report"
    written = write_report([runs["emb"], runs["paper"].parent, runs["maskx"], runs["p05"], runs["gd"]],
                           ["md", "latex", "html"], out)
    assert [p.name for p in written] == ["report.md", "report.tex", "report.html"]
    figures = {p.name for p in (out / "figures").iterdir()}
    for expected in ("comparison.png", "per_class_val_iou.png", "pr_fickle_net_embedded_val.png",
                     "runtime_memory.png", "qualitative_fickle_net_embedded.png"):
        assert expected in figures
        assert (out / "figures" / expected).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not any(f.startswith("pr_fickle_net_paper") for f in figures)  # no pr_curves: skipped, no error
    assert (out / "tables" / "comparison.csv").exists()

    md = (out / "report.md").read_text()
    # embedded numbers can not be mistaken for reproductions: banner, data column, marker, footnote
    assert "EMBEDDED SYNTHETIC BENCHMARK — NOT COMPARABLE TO THE PAPER" in md
    assert "| fickle_net/embedded † | embedded | fickle_net: Table 1 | FickleNet (Ours) \\| 10K | val |" in md
    assert "| 61.2 | 41.00† | -20.20 |" in md
    assert "| 61.2 | 60.50 | -0.70 |" in md  # the paper-data run: no marker
    assert "† embedded synthetic benchmark — not comparable to the paper." in md
    # the papers' layouts: Table 3.5 (a) of seed 002, Tables 5 and 7 of seed 004, with our rows
    assert "| R-50-FPN \\| Mask ^X R-CNN (ours) | paper | 23.7 | 43.1 | 23.5 | 12.4 | 27.6 | 32.9 |" in md
    assert ("| R-50-FPN \\| Mask ^X R-CNN (ours) | ours: maskx_rcnn/coco_r50_voc2nonvoc_e2e_maskx (B) | 22.10 | 40.00 |"
            in md)
    assert "| FickleNet \\| 0.5 | ours: fickle_net_ablation/p05 † (val) | 33.00† |" in md
    row = r"\| mIoU \| ours: fickle_net_ablation/train_g_infer_d † \(val\) \|  \|  \| 30\.00† \|  \|  \|  \|"
    assert re.search(row, md)
    assert "| mIoU | paper | 49.1 | 55.5 | 57.1 | 61.2 | 59.6 | 59.0 |" in md
    assert "## Per-class results" in md and "| circle |" in md
    # an undefined per-class value (NaN: a class absent from ground truth and prediction) is shown, not dropped
    assert re.search(r"\| triangle \| – \|", md)
    assert "triangle & --" in (out / "report.tex").read_text()  # LaTeX's en dash
    assert "## Qualitative results" in md and "## Run time and memory" in md


def test_html_is_one_self_contained_file(runs, tmp_path):
    out = tmp_path / "html"
    write_report([runs["emb"], runs["paper"]], "html", out)
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "tables"]  # no figures folder
    html = (out / "report.html").read_text()
    assert "<link" not in html and "<script" not in html and "http://" not in html and "https://" not in html
    srcs = re.findall(r'src="([^"]+)"', html)
    assert len(srcs) >= 5 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert base64.b64decode(srcs[0].split(",", 1)[1])[:4] == b"\x89PNG"
    assert 'class="banner"' in html and "NOT COMPARABLE TO THE PAPER" in html


def _latex_structure(tex: str, n_tables: int) -> None:
    assert r"\usepackage{booktabs}" in tex and r"\documentclass" in tex and tex.rstrip().endswith(r"\end{document}")
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) >= n_tables
    assert tex.count(r"\begin{longtable}") == tex.count(r"\end{longtable}") == n_tables
    assert tex.count(r"\begin{landscape}") == tex.count(r"\end{landscape}")
    assert tex.count("{") == tex.count("}") + tex.count(r"\}") - tex.count(r"\{")
    assert all(ord(c) < 128 for c in tex), "non-ASCII characters must be escaped for pdflatex"
    assert r"\textdagger{}" in tex and r"\hline" not in tex


def test_latex_uses_booktabs_and_compiles(runs, tmp_path):
    out = tmp_path / "tex"
    write_report([runs["emb"], runs["maskx"]], "latex", out)
    tex = (out / "report.tex").read_text()
    n_tables = len(list((out / "tables").iterdir()))
    _latex_structure(tex, n_tables)
    for rel in re.findall(r"\\includegraphics\[[^]]*\]\{([^}]+)\}", tex):
        assert (out / rel).is_file()
    if shutil.which("pdflatex") is None:
        if os.environ.get("WSISBENCH_REQUIRE_PDFLATEX") == "1":  # CI installs it: a missing one is a failure
            pytest.fail("pdflatex is missing, and WSISBENCH_REQUIRE_PDFLATEX=1 says it must be installed")
        pytest.skip("pdflatex is not installed: structure checked, compilation not")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=out,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (out / "report.pdf").stat().st_size > 10_000


def test_paper_layout_regenerated_from_pairs(runs):
    board = load_leaderboard("maskx_rcnn")
    (run,) = load_runs([runs["maskx"]])
    pairs = [(run, p) for p in pairs_for_run(run, {"maskx_rcnn": board}, load_mappings())]
    assert {p.key for _, p in pairs} == set(MASKX_B)
    frame = regenerate(board.table("Table 3.5 (a) voc -> non-voc"), pairs)
    assert list(frame.columns) == ["row", "source", "AP", "AP ₅₀", "AP ₇₅", "AP _S", "AP _M", "AP _L"]
    assert len(frame) == 11  # ten paper rows and ours under 'Mask^X R-CNN (ours)', R-50-FPN
    ours = frame[frame.source.str.startswith("ours")].iloc[0]
    assert ours.row == "R-50-FPN | Mask ^X R-CNN (ours)" and ours["AP"] == "22.10" and ours["AP _L"] == "30.00"


def test_report_cli_and_missing_optional_fields(runs, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["report", str(runs["paper"].parent), "--format", "md", "--leaderboard", "fickle_net",
                 "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "NOT COMPARABLE" not in md  # paper data only: no banner
    assert md.count("## Paper tables regenerated") == 1 and "Table 6" in md  # --leaderboard: all its tables
    assert "Precision-recall" not in md and "Qualitative" not in md
    assert str(out / "report.md") in capsys.readouterr().out


def test_bad_inputs_are_user_errors(tmp_path, capsys):
    with pytest.raises(WsisbenchError, match="no result.json there"):
        load_run(tmp_path)
    (tmp_path / "result.json").write_text(json.dumps({"schema": "other/1", "metrics": {}}))
    with pytest.raises(WsisbenchError, match=r"result.json: 'schema' is 'other/1'"):
        load_run(tmp_path)
    assert main(["report", str(tmp_path), "--format", "md", "--out", str(tmp_path / "o")]) == 2
    assert "error:" in capsys.readouterr().err
