"""Comparisons of methods on runs with several seeds (docs/claims.md).

- :mod:`.runsets` -- group result.json files into run sets (one configuration, several seeds);
- :mod:`.bootstrap` -- the paired difference of two run sets on a metric with a 95 % percentile bootstrap
  interval over images and seeds, from the runs' per-image statistics;
- :mod:`.claims` -- the papers' qualitative claims (metafile ``claims:``) decided as reproduced / contradicted /
  inconclusive / not run;
- :mod:`.tables` -- their display (percent, mean ± std).
"""
from .bootstrap import DEFAULT_REPLICATES, Difference, paired_difference, percentile_interval
from .claims import VERDICTS, ClaimVerdict, claims_covered, evaluate_claim, evaluate_claims, verdict_for
from .runsets import RunSet, find_result_files, group_run_sets, load_run_sets, run_seed, single_run_set

__all__ = [
    "DEFAULT_REPLICATES", "Difference", "paired_difference", "percentile_interval",
    "VERDICTS", "ClaimVerdict", "claims_covered", "evaluate_claim", "evaluate_claims", "verdict_for",
    "RunSet", "find_result_files", "group_run_sets", "load_run_sets", "run_seed", "single_run_set",
]
