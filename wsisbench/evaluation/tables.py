"""Readable text tables of an ``evaluations`` entry (values printed in percent)."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{100.0 * float(v):.2f}"


def format_evaluation(entry: dict[str, Any], per_class: bool = True) -> str:
    """The headline metrics and the per-class table of one evaluation (percent; '-' for undefined)."""
    head = [f"protocol: {entry.get('protocol')}  task: {entry.get('task')}"
            + (f"  split: {entry['split']}" if entry.get("split") else "")
            + f"  images: {entry.get('num_images')}"]
    if entry.get("task") == "instance":
        head.append(f"predictions: {entry.get('num_predictions')}  ground-truth instances: {entry.get('num_gt')}"
                    + (f" (+{entry['num_gt_crowd']} crowd, ignored)" if entry.get("num_gt_crowd") else "")
                    + f"  IoU thresholds: {', '.join(f'{t:g}' for t in entry.get('iou_thrs', []))}")
    if entry.get("out_of_range"):
        head.append(f"predictions outside the class range: {entry['out_of_range']}")
    metrics = pd.DataFrame([{k: _pct(v) for k, v in entry.get("metrics", {}).items()}])
    lines = head + ["", metrics.to_string(index=False)]
    table = entry.get("per_class") or {}
    if per_class and table:
        frame = pd.DataFrame({col: {name: _pct(v) for name, v in vals.items()} for col, vals in table.items()})
        frame.index.name = "class"
        lines += ["", frame.to_string()]
    if entry.get("notes"):
        lines += ["", f"note: {entry['notes']}"]
    return "\n".join(lines)
