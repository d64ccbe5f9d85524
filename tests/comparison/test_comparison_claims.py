"""Claims as data: the metafiles' claims parse and name existing methods; verdicts and their symmetries."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from comparison_helpers import in_memory_run, in_memory_sets, random_semantic

from wsisbench.comparison import evaluate_claim, verdict_for
from wsisbench.comparison.claims import index_run_sets
from wsisbench.errors import WsisbenchError
from wsisbench.leaderboards.metafile import (
    Claim,
    ClaimSide,
    claim_problems,
    load_claims,
    load_metafiles,
    parse_claims,
)

REPO = Path(__file__).resolve().parents[2]


def test_metafile_claims_parse_and_name_existing_methods():
    metafiles = load_metafiles()
    claims = load_claims()
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids))
    methods = ("fickle_net", "maskx_rcnn", "prm", "dcl")
    by_method = {m: [c for c in claims if c.method == m] for m in methods}
    assert [len(by_method[m]) for m in methods] == [12, 13, 5, 3]
    for c in claims:
        errors, missing = claim_problems(c)
        assert errors == [], errors  # every side names a method folder of this repository
        for side in (c.left, c.right):
            assert side.method in metafiles
            assert side.preset.startswith("mechanism")   # claims are decided on the mechanism benchmark
        assert c.paper_table.startswith("Table ") == c.has_paper_numbers
    prm = {c.id: c for c in by_method["prm"]}
    assert {c.direction for c in prm.values()} == {"greater", "no_worse", "equivalent"}
    assert all((c.margin is not None) == (c.direction in ("no_worse", "equivalent")) for c in prm.values())
    assert prm["prm_beats_cam_instances"].paper_percent() == (None, None)
    dcl = {c.id: c for c in by_method["dcl"]}
    assert dcl["dcl_t1_three_cams_beat_one"].paper_percent() == (32.8, 29.7)
    fickle = {c.id: c for c in by_method["fickle_net"]}
    t6 = fickle["fickle_net_t6_spread_shrinks_with_n"]
    assert t6.left.preset == t6.right.preset and t6.direction == "less" and t6.paper_percent() == (0.48, 2.1)
    assert all(c.left.metric == "val/mIoU" for c in by_method["fickle_net"] if c is not t6)
    maskx = {c.id: c for c in by_method["maskx_rcnn"]}
    assert all(c.left.metric == c.right.metric == "B/AP" for c in maskx.values())
    assert maskx["maskx_t35_maskx_vs_grabcut_boxes"].right == ClaimSide("grabcut_boxes", "mechanism", "B/AP")
    assert maskx["maskx_t35_maskx_vs_grabcut_mask_rcnn"].right.method == "grabcut_mask_rcnn"
    assert (maskx["maskx_t31_transfer_vs_randn"].paper_left, maskx["maskx_t31_transfer_vs_randn"].paper_right) == (
        20.2, 15.4)


def _raw(**changes):
    c = {"id": "c1", "text": "A beats B.", "left": {"preset": "a", "metric": "val/mIoU"},
         "right": {"preset": "b", "metric": "val/mIoU"}, "direction": "greater",
         "paper": {"table": "Table 1", "left": 50.0, "right": 40.0}}
    c.update(changes)
    return [c]


@pytest.mark.parametrize("changes,match", [
    ({"direction": "bigger"}, "direction must be one of"),
    ({"paper": {"table": "Table 1", "left": 40.0, "right": 50.0}}, "do not say left > right"),
    ({"left": {"preset": "a", "metric": "mIoU"}}, "must be a result.json metrics key"),
    ({"right": {"preset": "b", "metric": "val/mIoU", "split": "val"}}, "unknown key"),
    ({"text": ""}, "'text' must be one sentence"),
    ({"paper": {"table": "Table 1", "left": 50, "right": 40, "unit": "permille"}}, "paper.unit"),
])
def test_claim_errors_name_the_file_and_the_claim(changes, match):
    with pytest.raises(WsisbenchError, match=match) as e:
        parse_claims(_raw(**changes), Path("m/metafile.yaml"), "m")
    assert "m/metafile.yaml: claim 'c1'" in str(e.value)


def test_duplicate_ids_and_unknown_methods_are_errors():
    with pytest.raises(WsisbenchError, match="used twice"):
        parse_claims(_raw() + _raw(), Path("m.yaml"), "m")
    (claim,) = parse_claims(_raw(left={"method": "no_such_method", "preset": "a", "metric": "val/mIoU"}),
                            Path("m.yaml"), "fickle_net")
    errors, _ = claim_problems(claim)
    assert errors and "unknown method 'no_such_method'" in errors[0]


def test_margin_claims_no_worse_and_equivalent():
    m = 0.02  # two points, as fractions like result.json
    assert verdict_for(-0.015, 0.03, "no_worse", m) == "reproduced"  # worse by less than the margin at most
    assert verdict_for(-0.05, 0.03, "no_worse", m) == "inconclusive"
    assert verdict_for(-0.06, -0.03, "no_worse", m) == "contradicted"
    assert verdict_for(-0.015, 0.015, "equivalent", m) == "reproduced"
    assert verdict_for(-0.01, 0.03, "equivalent", m) == "inconclusive"  # contains 0 but reaches past the margin
    assert verdict_for(0.03, 0.05, "equivalent", m) == "contradicted"
    for low, high in ((-0.015, 0.015), (-0.01, 0.03), (0.03, 0.05)):
        assert verdict_for(low, high, "equivalent", m) == verdict_for(-high, -low, "equivalent", m)
    with pytest.raises(ValueError, match="positive margin"):
        verdict_for(0.0, 0.01, "equivalent")
    (c,) = parse_claims(_raw(direction="no_worse", margin=2.0, paper={"where": "Section 3"}), Path("m.yaml"), "m")
    assert (c.margin, c.paper_table, c.paper_text(), c.has_paper_numbers) == (2.0, "Section 3", ("", ""), False)
    with pytest.raises(WsisbenchError, match="no other way round"):
        c.swapped()
    for changes, match in [({"direction": "equivalent"}, "needs 'margin'"),
                           ({"direction": "no_worse", "margin": -1}, "needs 'margin'"),
                           ({"margin": 2.0}, "'margin' belongs to"),
                           ({"paper": {"where": "Fig. 4", "table": "Table 1"}}, "stands alone")]:
        with pytest.raises(WsisbenchError, match=match):
            parse_claims(_raw(**changes), Path("m.yaml"), "m")


def test_verdict_rule_and_its_symmetries():
    assert verdict_for(0.01, 0.03, "greater") == "reproduced"
    assert verdict_for(0.01, 0.03, "less") == "contradicted"
    assert verdict_for(-0.03, -0.01, "less") == "reproduced"
    assert verdict_for(-0.01, 0.03, "greater") == "inconclusive"
    assert verdict_for(None, None, "greater") == "inconclusive"
    for low, high in ((0.01, 0.03), (-0.03, -0.01), (-0.01, 0.02)):
        for direction in ("greater", "less"):
            flipped = {"greater": "less", "less": "greater"}[direction]
            assert verdict_for(low, high, direction) == verdict_for(-high, -low, flipped)


def _claim(direction="greater", left="good", right="bad") -> Claim:
    (c,) = parse_claims(_raw(left={"preset": left, "metric": "val/mIoU"}, right={"preset": right, "metric": "val/mIoU"},
                             direction=direction,
                             paper={"table": "Table 5", "left": 1.0 if direction == "greater" else 0.0,
                                    "right": 0.5}), Path("x.yaml"), "m")
    return c


@pytest.mark.parametrize("quality_bad,expected", [(0.6, "reproduced"), (0.8, "inconclusive")])
def test_swapping_sides_keeps_or_flips_the_verdict(quality_bad, expected):
    rng = np.random.default_rng(0)
    difficulty = rng.uniform(0, 0.4, 60)
    runs = [in_memory_run("m", "good", s, random_semantic(rng, difficulty, 0.8)) for s in range(3)]
    runs += [in_memory_run("m", "bad", s, random_semantic(rng, difficulty, quality_bad)) for s in range(3)]
    index = index_run_sets(in_memory_sets(runs))
    claim = _claim()
    v = evaluate_claim(claim, index, replicates=300, check_presets=False)
    assert v.verdict == expected
    restated = evaluate_claim(claim.swapped(flip_direction=True), index, replicates=300, check_presets=False)
    assert restated.verdict == v.verdict
    swapped = evaluate_claim(claim.swapped(flip_direction=False), index, replicates=300, check_presets=False)
    assert swapped.verdict == {"reproduced": "contradicted", "contradicted": "reproduced"}.get(v.verdict, v.verdict)
    assert swapped.difference.low == -v.difference.high and swapped.difference.high == -v.difference.low


def test_fewer_than_three_seeds_on_a_side_keep_the_verdict_inconclusive():
    rng = np.random.default_rng(0)
    difficulty = rng.uniform(0, 0.4, 60)
    good = [in_memory_run("m", "good", s, random_semantic(rng, difficulty, 0.8)) for s in range(3)]
    bad = [in_memory_run("m", "bad", s, random_semantic(rng, difficulty, 0.6)) for s in range(3)]
    decided = evaluate_claim(_claim(), index_run_sets(in_memory_sets(good + bad)), replicates=300,
                             check_presets=False)
    assert decided.verdict == "reproduced" and not any("seeds" in n for n in decided.notes)
    held = evaluate_claim(_claim(), index_run_sets(in_memory_sets(good + bad[:2])), replicates=300,
                          check_presets=False)
    assert held.verdict == "inconclusive" and held.difference.low > 0   # the interval alone would reproduce it
    assert any(n.startswith("3/2 seeds") and "reproduced" in n for n in held.notes)


def test_claims_without_runs_are_not_run_and_say_which_side():
    rng = np.random.default_rng(1)
    runs = [in_memory_run("m", "good", 0, random_semantic(rng, rng.uniform(0, 0.4, 10)))]
    v = evaluate_claim(_claim(), index_run_sets(in_memory_sets(runs)), replicates=50, check_presets=False)
    assert v.verdict == "not run" and v.notes == ["no runs of m/bad"]
    real = [c for c in load_claims("fickle_net") if c.id == "fickle_net_t5_stochastic_vs_deterministic"][0]
    v = evaluate_claim(real, {}, replicates=50)
    assert v.verdict == "not run" and "no runs of fickle_net/mechanism" in v.notes
    missing_configs = [n for n in v.notes if n.startswith("no config yet")]
    assert missing_configs == [] or "configs/fickle_net/mechanism.py" in missing_configs[0]


def test_metafile_claims_sections_are_at_the_end():
    """Another engineer edits the presets; the claims stay one trailing block."""
    for rel in ("wsisbench/methods/fickle_net/metafile.yaml", "wsisbench/methods/maskx_rcnn/metafile.yaml"):
        text = (REPO / rel).read_text()
        raw = yaml.safe_load(text)
        assert list(raw)[-1] == "claims"
