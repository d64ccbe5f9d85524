"""Verdicts on the papers' claims (``claims:`` in each method's metafile.yaml) from runs with several seeds.

For a claim "left > right" (``direction: greater``; ``less`` for "left < right") on the paired difference
``left - right`` with its 95 % bootstrap interval [low, high]
(:func:`~wsisbench.comparison.bootstrap.paired_difference`):

- ``reproduced``: the interval excludes 0 on the paper's side;
- ``contradicted``: the interval excludes 0 on the other side;
- ``inconclusive``: the interval contains 0 (or there is no interval: one run per side, no per-image data);
- ``not run``: no runs of one side (the note says which), or its preset has no config yet.

Claims with a margin m (percent points, fixed in the metafile before any run):

- ``no_worse`` (left > right - m): reproduced when low > -m, contradicted when high < -m;
- ``equivalent`` (|left - right| < m): reproduced when -m < low and high < m, contradicted when low > m or
  high < -m;
- otherwise inconclusive.

Stating a claim the other way round (left and right exchanged, direction flipped) gives the same verdict;
exchanging only left and right turns ``reproduced`` into ``contradicted`` and back.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from wsisbench.errors import WsisbenchError
from wsisbench.leaderboards.metafile import CLAIM_DIRECTIONS, MARGIN_DIRECTIONS, Claim, claim_problems

from .bootstrap import DEFAULT_REPLICATES, Difference, paired_difference
from .runsets import RunSet

VERDICTS = ("reproduced", "contradicted", "inconclusive", "not run")
#: the fewest seeds a side needs for a claim to be decided (the protocol in docs/claims.md); with fewer, the
#: interval is still computed and shown, and the verdict stays inconclusive
MIN_SEEDS = 3


def verdict_for(low: float | None, high: float | None, direction: str, margin: float | None = None) -> str:
    """The verdict of an interval [low, high] of ``left - right`` for a claim in ``direction``; ``margin`` (in
    the interval's units) for ``no_worse`` and ``equivalent``."""
    if direction not in CLAIM_DIRECTIONS:
        raise ValueError(f"direction must be one of {list(CLAIM_DIRECTIONS)}, got {direction!r}")
    if direction in MARGIN_DIRECTIONS and (margin is None or not margin > 0):
        raise ValueError(f"a {direction!r} claim needs a positive margin, got {margin!r}")
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "inconclusive"
    if direction == "no_worse":
        return "reproduced" if low > -margin else "contradicted" if high < -margin else "inconclusive"
    if direction == "equivalent":
        if -margin < low and high < margin:
            return "reproduced"
        return "contradicted" if low > margin or high < -margin else "inconclusive"
    if low > 0:
        sign = 1
    elif high < 0:
        sign = -1
    else:
        return "inconclusive"
    said = 1 if direction == "greater" else -1
    return "reproduced" if sign == said else "contradicted"


@dataclass
class ClaimVerdict:
    """A claim, what the runs say about it, and why."""

    claim: Claim
    verdict: str
    difference: Difference | None = None
    left_set: RunSet | None = None
    right_set: RunSet | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        c = self.claim
        paper_l, paper_r = c.paper_percent()
        return {
            "id": c.id, "text": c.text, "method": c.method, "direction": c.direction, "margin": c.margin,
            "left": {"method": c.left.method, "preset": c.left.preset, "metric": c.left.metric,
                     "seeds": self.left_set.seeds if self.left_set else []},
            "right": {"method": c.right.method, "preset": c.right.preset, "metric": c.right.metric,
                      "seeds": self.right_set.seeds if self.right_set else []},
            "paper": {"table": c.paper_table, "numbers_printed": c.has_paper_numbers, "left": c.paper_left,
                      "right": c.paper_right, "unit": c.paper_unit,
                      "left_percent": paper_l, "right_percent": paper_r},
            "verdict": self.verdict,
            "difference": self.difference.to_dict() if self.difference else None,
            "notes": list(self.notes) + ([c.note] if c.note else []),
        }


def index_run_sets(run_sets: Iterable[RunSet]) -> dict[tuple[str, str], list[RunSet]]:
    """Run sets by (method, preset)."""
    out: dict[tuple[str, str], list[RunSet]] = {}
    for rs in run_sets:
        out.setdefault((rs.method, rs.preset), []).append(rs)
    return out


def _pick(index: dict, method: str, preset: str) -> tuple[RunSet | None, str | None]:
    found = index.get((method, preset)) or []
    if not found:
        return None, f"no runs of {method}/{preset}"
    if len(found) > 1:
        listed = "; ".join(f"benchmark {s.benchmark}, config {s.config_key[:8]}, data {s.data_content[:8]}, "
                           f"seeds {s.seeds}" for s in found)
        raise WsisbenchError(f"the runs of {method}/{preset} form {len(found)} run sets ({listed}); give the runs of "
                             f"one configuration per preset")
    return found[0], None


def evaluate_claim(claim: Claim, index: dict[tuple[str, str], list[RunSet]],
                   replicates: int = DEFAULT_REPLICATES, bootstrap_seed: int = 0,
                   check_presets: bool = True) -> ClaimVerdict:
    """The verdict of one claim on the run sets in ``index`` (:func:`index_run_sets`)."""
    notes: list[str] = []
    if check_presets:
        errors, missing = claim_problems(claim)
        if errors:
            raise WsisbenchError("; ".join(errors))
        if missing:
            notes.append(f"no config yet: {', '.join(missing)}")
    left, why_l = _pick(index, claim.left.method, claim.left.preset)
    right, why_r = _pick(index, claim.right.method, claim.right.preset)
    if left is None or right is None:
        return ClaimVerdict(claim, "not run", None, left, right,
                            notes + list(dict.fromkeys(w for w in (why_l, why_r) if w)))
    for rs, side in ((left, claim.left), (right, claim.right)):
        if not rs.has_metric(side.metric):
            lacking = [str(r.path) for r in rs.runs if side.metric not in r.metrics]
            return ClaimVerdict(claim, "not run", None, left, right,
                                notes + [f"{rs.label} runs lack metric {side.metric!r} ({lacking[0]})"])
    diff = paired_difference(left, right, claim.left.metric, claim.right.metric, replicates, bootstrap_seed)
    margin = claim.margin / 100.0 if claim.margin is not None else None  # percent points -> result.json fractions
    verdict = verdict_for(diff.low, diff.high, claim.direction, margin)
    few = len(left.seeds) < MIN_SEEDS or len(right.seeds) < MIN_SEEDS
    if few:
        notes.append(f"{len(left.seeds)}/{len(right.seeds)} seeds: a claim is decided on at least {MIN_SEEDS} per "
                     f"side, so the verdict stays inconclusive" + (f" (the interval alone says {verdict})"
                                                                    if verdict != "inconclusive" else ""))
        verdict = "inconclusive"
    return ClaimVerdict(claim, verdict, diff, left, right, notes + diff.notes)


def evaluate_claims(claims: Iterable[Claim], run_sets: Iterable[RunSet], replicates: int = DEFAULT_REPLICATES,
                    bootstrap_seed: int = 0, check_presets: bool = True) -> list[ClaimVerdict]:
    """Verdicts of ``claims`` on ``run_sets`` (claims whose sides have no runs are ``not run``)."""
    index = index_run_sets(run_sets)
    return [evaluate_claim(c, index, replicates, bootstrap_seed, check_presets) for c in claims]


def claims_covered(claims: Iterable[Claim], run_sets: Iterable[RunSet]) -> list[Claim]:
    """The claims with runs of at least one side among ``run_sets``."""
    have = {(rs.method, rs.preset) for rs in run_sets}
    return [c for c in claims if (c.left.method, c.left.preset) in have or (c.right.method, c.right.preset) in have]
