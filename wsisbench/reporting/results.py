"""Read result.json files (docs/CONTRACTS.md) written by the run pipeline, for reports and checks.

``load_runs(["work_dirs/a", "b/result.json"])`` accepts result.json files or run work directories that
contain one, validates the fields that reports rely on, and gives each run a short unique name.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsisbench.errors import WsisbenchError

RESULT_SCHEMA_PREFIX = "wsisbench.result/"
DATA_KINDS = ("embedded", "paper")


@dataclass
class RunResult:
    """One run's result.json; metric values are fractions, times in seconds, memory in MiB."""

    path: Path  # the result.json file
    name: str  # short unique label used in tables and plots
    method: str
    preset: str
    data: str  # "embedded" | "paper" | "unknown"
    benchmark: str
    metrics: dict[str, float]
    evaluations: dict[str, dict]
    profile: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, dict] = field(default_factory=dict)
    qualitative: list[dict] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def comparable_to_paper(self) -> bool:
        """Only runs on the real dataset can be compared with a paper's numbers."""
        return self.data == "paper"

    def protocol(self, evaluation: str | None = None) -> str:
        """Protocol of one evaluation (or of all, joined) as recorded in result.json."""
        evals = [evaluation] if evaluation else sorted(self.evaluations)
        names = sorted({str(self.evaluations.get(e, {}).get("protocol", "?")) for e in evals})
        return "/".join(names) or "?"

    def lookup(self, dotted: str) -> Any:
        """A field of result.json by dotted path (``config.model.type``); None when absent."""
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node


def find_result_file(path: str | Path) -> Path:
    """``path`` itself if it is a file, else ``path/result.json``; a clear error when neither exists."""
    p = Path(path)
    if p.is_dir():
        p = p / "result.json"
    if not p.is_file():
        raise WsisbenchError(f"{path}: no result.json there (give a result.json file or a run work dir containing one)")
    return p


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def load_run(path: str | Path, name: str | None = None) -> RunResult:
    """Load and check one result.json (or the one in work dir ``path``)."""
    p = find_result_file(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise WsisbenchError(f"{p}: cannot read result.json ({e})") from e
    if not isinstance(raw, dict):
        raise WsisbenchError(f"{p}: expected a JSON object")
    schema = raw.get("schema", "")
    if not isinstance(schema, str) or not schema.startswith(RESULT_SCHEMA_PREFIX):
        raise WsisbenchError(f"{p}: 'schema' is {schema!r}, expected '{RESULT_SCHEMA_PREFIX}<version>'")
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict):
        raise WsisbenchError(f"{p}: 'metrics' must be an object of '<evaluation>/<metric>': number")
    bad = [k for k, v in metrics.items() if not (_number(v) or v is None)]
    if bad:
        raise WsisbenchError(f"{p}: metrics {', '.join(bad[:5])} are not numbers")
    evaluations = raw.get("evaluations") or {}
    if not isinstance(evaluations, dict):
        raise WsisbenchError(f"{p}: 'evaluations' must be an object")
    data = raw.get("data", "unknown")
    if data not in DATA_KINDS:
        data = "unknown"
    qualitative = raw.get("qualitative") or []
    if not isinstance(qualitative, list):
        raise WsisbenchError(f"{p}: 'qualitative' must be a list of {{image, pred, gt, cam}} objects")
    return RunResult(
        path=p, name=name or "", method=str(raw.get("method", "?")), preset=str(raw.get("preset", "?")),
        data=data, benchmark=str(raw.get("benchmark", "?")),
        metrics={k: (math.nan if v is None else float(v)) for k, v in metrics.items()},
        evaluations=evaluations, profile=raw.get("profile") or {}, stages=raw.get("stages") or {},
        qualitative=qualitative, config=raw.get("config") or {}, environment=raw.get("environment") or {},
        raw=raw)


def load_runs(paths: list[str | Path]) -> list[RunResult]:
    """Load several runs; names are ``method/preset``, with the work dir name added where they clash."""
    runs = [load_run(p) for p in paths]
    if not runs:
        raise WsisbenchError("no runs given")
    base = [f"{r.method}/{r.preset}" for r in runs]
    for r, b in zip(runs, base):
        r.name = b if base.count(b) == 1 else f"{b} ({r.directory.name})"
    names = [r.name for r in runs]
    for i, r in enumerate(runs):  # still clashing (same dir name): number them
        if names.count(r.name) > 1:
            r.name = f"{r.name} #{i + 1}"
    return runs
