"""A method's metafile (``<method folder>/metafile.yaml``): its presets and the leaderboard cells each reproduces.

Format (``wsisbench.metafile/1``)::

    schema: wsisbench.metafile/1
    method: fickle_net               # the registry name = the folder name = configs/<method>/
    paper: ficklenet_cvpr2019        # a key of leaderboards/sources.yaml (optional for baselines)
    leaderboard: fickle_net          # the default leaderboard of the cells below (optional)
    presets:
      embedded:                      # every preset of configs/<method>/, each with the cells it reproduces
        - select: {table: Table 5, conditions.p: 0.9}   # entry fields -> patterns (a list means any of)
          key: "pseudo_train/{metric}"                  # result.json metrics key (default "{split}/{metric}")
          leaderboard: other_board                      # when not the default one
      embedded_p0: []
    claims:                          # the paper's qualitative claims, decided on runs (docs/claims.md)
      - id: t5_stochastic_vs_deterministic
        text: "Stochastic hidden-unit selection (p = 0.9) beats the deterministic network."
        left: {preset: mechanism, metric: val/mIoU}           # + method: NAME for another method's preset
        right: {preset: mechanism_p0, metric: val/mIoU}
        direction: greater                                   # the paper says left > right ('less': left < right)
        paper: {table: Table 5, left: 61.2, right: 56.3}     # as printed, in percent (unit: 1e-3 etc. if not)
        note: "..."                                          # optional
      - id: adaptive_no_worse_than_fixed                     # a claim in words only, with a margin
        ...
        direction: no_worse       # left > right - margin ('equivalent': |left - right| < margin)
        margin: 2.0               # percent points of the metric, fixed before any run
        paper: {where: "Section 3.4"}                        # where the paper says it (no numbers printed)

Each cell becomes a :class:`~wsisbench.leaderboards.mapping.Mapping` that matches runs of that method and
preset; ``wsisbench report`` and ``wsisbench check --against`` read them all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wsisbench.errors import WsisbenchError

METAFILE_NAME = "metafile.yaml"
METAFILE_SCHEMA = "wsisbench.metafile/1"
_TOP_KEYS = {"schema", "method", "paper", "leaderboard", "presets", "claims"}


#: a claim's ``direction``: the paper says left > right (``greater``), left < right (``less``), left is no worse
#: than right (``no_worse``: left > right - margin) or the two do not differ (``equivalent``: |left - right| < margin)
CLAIM_DIRECTIONS = ("greater", "less", "no_worse", "equivalent")
#: the directions that need a ``margin`` (percent points of the claim's metric)
MARGIN_DIRECTIONS = ("no_worse", "equivalent")
#: units of a claim's printed paper numbers -> the factor that turns them into percent
PAPER_UNITS = {"percent": 1.0, "fraction": 100.0, "1e-3": 0.1, "1e-5": 0.001}
_CLAIM_KEYS = {"id", "text", "left", "right", "direction", "margin", "paper", "note"}
_SIDE_KEYS = {"method", "preset", "metric"}
_PAPER_KEYS = {"table", "left", "right", "unit", "where"}


@dataclass(frozen=True)
class ClaimSide:
    """One side of a claim: the ``metric`` (a result.json metrics key) of runs of ``method`` / ``preset``."""

    method: str
    preset: str
    metric: str

    @property
    def label(self) -> str:
        return f"{self.method}/{self.preset}: {self.metric}"


@dataclass(frozen=True)
class Claim:
    """A paper's qualitative claim: ``left`` > ``right`` (``direction='greater'``) or ``left`` < ``right``.

    ``paper_left`` / ``paper_right`` are the printed numbers in ``paper_unit`` (percent unless stated), or None
    for a claim the paper states in words or figures only (``paper_table`` then says where); ``margin`` (percent
    points) bounds a ``no_worse`` or ``equivalent`` claim; ``method`` is the metafile's method, ``source`` the
    metafile.
    """

    id: str
    text: str
    left: ClaimSide
    right: ClaimSide
    direction: str
    paper_table: str
    paper_left: float | None
    paper_right: float | None
    method: str
    source: Path
    paper_unit: str = "percent"
    note: str | None = None
    paper_printed: tuple[str, str] = ("", "")  # the two numbers as written in the metafile
    margin: float | None = None

    @property
    def has_paper_numbers(self) -> bool:
        return self.paper_left is not None

    def paper_text(self) -> tuple[str, str]:
        """The paper's two numbers as printed (as written in the metafile); empty for a claim in words only."""
        if not self.has_paper_numbers:
            return "", ""
        if all(self.paper_printed):
            return self.paper_printed
        return f"{self.paper_left:g}", f"{self.paper_right:g}"

    def paper_percent(self) -> tuple[float | None, float | None]:
        """The paper's two numbers in percent (None, None for a claim in words only)."""
        if not self.has_paper_numbers:
            return None, None
        f = PAPER_UNITS[self.paper_unit]
        return self.paper_left * f, self.paper_right * f

    def swapped(self, flip_direction: bool = True) -> "Claim":
        """Left and right exchanged; with ``flip_direction`` the same claim, stated the other way round."""
        from dataclasses import replace

        if flip_direction and self.direction == "no_worse":
            raise WsisbenchError(f"claim {self.id!r}: a 'no_worse' claim has no other way round")
        flipped = {"greater": "less", "less": "greater", "equivalent": "equivalent"}
        direction = flipped[self.direction] if flip_direction else self.direction
        return replace(self, left=self.right, right=self.left, direction=direction, paper_left=self.paper_right,
                       paper_right=self.paper_left, paper_printed=(self.paper_printed[1], self.paper_printed[0]))


def _claim_side(raw: Any, where: str, owner: str) -> ClaimSide:
    if not isinstance(raw, dict):
        raise WsisbenchError(f"{where}: expected {{preset, metric}} (and optionally method)")
    extra = sorted(set(raw) - _SIDE_KEYS)
    if extra:
        raise WsisbenchError(f"{where}: unknown key(s) {extra} (allowed: {sorted(_SIDE_KEYS)})")
    for key in ("preset", "metric"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise WsisbenchError(f"{where}: '{key}' must be a non-empty string")
    metric = raw["metric"].strip()
    if "/" not in metric or metric.startswith("/") or metric.endswith("/"):
        raise WsisbenchError(f"{where}: metric {metric!r} must be a result.json metrics key '<evaluation>/<metric>' "
                             f"(e.g. val/mIoU, B/AP)")
    method = raw.get("method", owner)
    if not isinstance(method, str) or not method.strip():
        raise WsisbenchError(f"{where}: 'method' must be a method name")
    return ClaimSide(method.strip(), raw["preset"].strip(), metric)


def parse_claims(raw: Any, path: Path, method: str) -> list[Claim]:
    """The ``claims:`` list of the metafile ``path`` of ``method``, checked; errors name the file and claim id."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WsisbenchError(f"{path}: 'claims' must be a list")
    out: list[Claim] = []
    seen: set[str] = set()
    for i, c in enumerate(raw):
        if not isinstance(c, dict):
            raise WsisbenchError(f"{path}: claim #{i + 1} must be a mapping")
        cid = c.get("id")
        if not isinstance(cid, str) or not cid.strip():
            raise WsisbenchError(f"{path}: claim #{i + 1} needs an 'id' (a string)")
        where = f"{path}: claim {cid!r}"
        if cid in seen:
            raise WsisbenchError(f"{where}: the id is used twice")
        seen.add(cid)
        extra = sorted(set(c) - _CLAIM_KEYS)
        if extra:
            raise WsisbenchError(f"{where}: unknown key(s) {extra} (allowed: {sorted(_CLAIM_KEYS)})")
        missing = [k for k in ("text", "left", "right", "direction", "paper") if k not in c]
        if missing:
            raise WsisbenchError(f"{where}: missing {missing}")
        if not isinstance(c["text"], str) or not c["text"].strip():
            raise WsisbenchError(f"{where}: 'text' must be one sentence")
        if c["direction"] not in CLAIM_DIRECTIONS:
            raise WsisbenchError(f"{where}: direction must be one of {list(CLAIM_DIRECTIONS)}, got {c['direction']!r}")
        left = _claim_side(c["left"], f"{where}: left", method)
        right = _claim_side(c["right"], f"{where}: right", method)
        if left == right:
            raise WsisbenchError(f"{where}: left and right are the same metric of the same preset")
        margin = c.get("margin")
        if c["direction"] in MARGIN_DIRECTIONS:
            if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin > 0:
                raise WsisbenchError(f"{where}: a '{c['direction']}' claim needs 'margin', a positive number of "
                                     f"percent points of its metric, got {margin!r}")
            margin = float(margin)
        elif margin is not None:
            raise WsisbenchError(f"{where}: 'margin' belongs to {list(MARGIN_DIRECTIONS)} claims only")
        paper = c["paper"]
        if not isinstance(paper, dict):
            raise WsisbenchError(f"{where}: 'paper' must be {{table, left, right}} or {{where}}")
        extra = sorted(set(paper) - _PAPER_KEYS)
        if extra:
            raise WsisbenchError(f"{where}: paper: unknown key(s) {extra} (allowed: {sorted(_PAPER_KEYS)})")
        if "where" in paper:
            if set(paper) != {"where"} or not isinstance(paper["where"], str) or not paper["where"].strip():
                raise WsisbenchError(f"{where}: paper: {{where: ...}} names the section or figures of a claim the "
                                     f"paper states without numbers, and stands alone")
            out.append(Claim(cid.strip(), " ".join(c["text"].split()), left, right, c["direction"],
                             paper["where"].strip(), None, None, method, path, note=_note(c, where), margin=margin))
            continue
        if not isinstance(paper.get("table"), str):
            raise WsisbenchError(f"{where}: paper.table must name the paper's table (e.g. 'Table 5')")
        nums = []
        for key in ("left", "right"):
            v = paper.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise WsisbenchError(f"{where}: paper.{key} must be the printed number, got {v!r}")
            nums.append(float(v))
        unit = paper.get("unit", "percent")
        if unit not in PAPER_UNITS:
            raise WsisbenchError(f"{where}: paper.unit must be one of {list(PAPER_UNITS)}, got {unit!r}")
        said = {"greater": nums[0] > nums[1], "less": nums[0] < nums[1]}.get(c["direction"], True)
        if not said:
            raise WsisbenchError(f"{where}: the paper's numbers {nums[0]} vs {nums[1]} do not say left "
                                 f"{'>' if c['direction'] == 'greater' else '<'} right")
        out.append(Claim(cid.strip(), " ".join(c["text"].split()), left, right, c["direction"], paper["table"],
                         nums[0], nums[1], method, path, unit, _note(c, where),
                         (str(paper["left"]), str(paper["right"])), margin))
    return out


def _note(c: dict, where: str) -> str | None:
    note = c.get("note")
    if note is not None and not isinstance(note, str):
        raise WsisbenchError(f"{where}: 'note' must be a string")
    return note


def claim_problems(claim: Claim) -> tuple[list[str], list[str]]:
    """``(errors, missing)`` of a claim against this checkout: ``errors`` for a method that does not exist,
    ``missing`` for presets whose config ``configs/<method>/<preset>.py`` does not exist (yet)."""
    from wsisbench.presets import configs_dir
    from wsisbench.projects import method_folders

    methods = method_folders()
    errors, missing = [], []
    for side in (claim.left, claim.right):
        if side.method not in methods:
            errors.append(f"{claim.source}: claim {claim.id!r}: unknown method {side.method!r} "
                          f"(known: {', '.join(sorted(methods))})")
            continue
        folder = configs_dir(side.method)
        if folder is None or not (folder / f"{side.preset}.py").is_file():
            label = f"configs/{side.method}/{side.preset}.py"
            if label not in missing:
                missing.append(label)
    return errors, missing


@dataclass
class Metafile:
    method: str
    path: Path
    presets: dict[str, list[dict]]
    paper: str | None = None
    leaderboard: str | None = None
    claims: list[Claim] = field(default_factory=list)


def read_metafile(path: Path) -> Metafile:
    """Read and check one metafile; errors name the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise WsisbenchError(f"{path}: cannot read the metafile ({e})") from e
    if not isinstance(raw, dict) or raw.get("schema") != METAFILE_SCHEMA:
        raise WsisbenchError(f"{path}: schema must be {METAFILE_SCHEMA!r}")
    extra = sorted(set(raw) - _TOP_KEYS)
    if extra:
        raise WsisbenchError(f"{path}: unknown key(s) {extra} (allowed: {sorted(_TOP_KEYS)})")
    if raw.get("method") != path.parent.name:
        raise WsisbenchError(f"{path}: method {raw.get('method')!r} must equal its folder's name {path.parent.name!r}")
    presets = raw.get("presets")
    if not isinstance(presets, dict) or not presets:
        raise WsisbenchError(f"{path}: 'presets' must map every preset name to a list of cells")
    out: dict[str, list[dict]] = {}
    for preset, cells in presets.items():
        if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
            raise WsisbenchError(f"{path}: preset {preset!r}: expected a list of cells ({{select, key}}), or []")
        out[str(preset)] = cells
    claims = parse_claims(raw.get("claims"), path, raw["method"])
    return Metafile(raw["method"], path, out, raw.get("paper"), raw.get("leaderboard"), claims)


def load_metafiles() -> dict[str, Metafile]:
    """The metafile of every method folder (built-in and extra project roots), by method name."""
    from wsisbench.projects import method_folders

    out = {}
    for name, folder in method_folders().items():
        path = folder / METAFILE_NAME
        if path.is_file():
            out[name] = read_metafile(path)
    return out


def load_claims(method: str | None = None) -> list[Claim]:
    """The claims of every metafile (or of ``method``'s), in metafile order; ids must be unique overall."""
    metafiles = load_metafiles()
    if method is not None and method not in metafiles:
        raise WsisbenchError(f"no metafile for method {method!r} (methods with one: {', '.join(sorted(metafiles))})")
    claims = [c for m in metafiles.values() for c in m.claims]
    seen: dict[str, Claim] = {}
    for c in claims:
        if c.id in seen:
            raise WsisbenchError(f"claim id {c.id!r} is used in {seen[c.id].source} and {c.source}")
        seen[c.id] = c
    return [c for c in claims if method is None or c.method == method]


def metafile_mappings(meta: Metafile) -> list[Any]:
    """The metafile's cells as mappings that match runs of ``meta.method`` and each preset."""
    from wsisbench.leaderboards.mapping import parse_mapping

    out = []
    for preset, cells in meta.presets.items():
        for i, cell in enumerate(cells):
            raw = dict(cell)
            raw.setdefault("leaderboard", meta.leaderboard)
            raw.setdefault("name", f"{meta.method}/{preset}#{i + 1}")
            raw["match"] = {"method": meta.method, "preset": preset}
            out.append(parse_mapping(raw, str(meta.path), i))
    return out
