"""What a benchmark is: data layout, classes, splits and the protocol its numbers are reported with."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from wsisbench.errors import DataError


@dataclass(frozen=True)
class BenchmarkSpec:
    """A named benchmark.

    Attributes:
        name: the name used by ``--benchmark`` and configs.
        description: one line for ``wsisbench list``.
        tasks: subset of {'semantic', 'instance', 'classification'}.
        instance_protocol: default protocol of instance numbers ('voc' | 'voc07' | 'coco').
        semantic_out_of_range: policy for predicted labels outside [0, C-1] ('error' | 'background' | 'ignore').
        embedded: True for the generated synthetic benchmark (results are marked 'embedded', never 'paper').
        splits: split names the benchmark defines.
        expected_layout: the directory layout, quoted in errors about a missing or wrong ``--data-root``.
        required_paths: paths relative to the root that must exist.
        classes: foreground class names (index 1..K in label maps), or None when read from the data.
        class_splits: named class subsets (e.g. {'voc': [...], 'nonvoc': [...]} or {'A': [...], 'B': [...]}).
        ignore_index: the void/ambiguous label.
        resolver: for embedded benchmarks, ``resolver(params) -> root`` generating data on first use.
        layouts: dataset layouts under the root ('voc', 'coco', 'lid') that ``wsisbench data check`` validates.
        class_reader: ``class_reader(root) -> names`` when the classes come from the data.
    """

    name: str
    description: str
    tasks: tuple[str, ...]
    instance_protocol: str = "voc"
    semantic_out_of_range: str = "error"
    embedded: bool = False
    splits: tuple[str, ...] = ("train", "val")
    expected_layout: str = ""
    required_paths: tuple[str, ...] = ()
    classes: tuple[str, ...] | None = None
    class_splits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ignore_index: int = 255
    resolver: Callable[[Mapping], Path] | None = None
    layouts: tuple[str, ...] = ()
    class_reader: Callable[[Path], list[str]] | None = None

    def resolve_root(self, data_root: str | Path | None, params: Mapping | None = None) -> Path:
        """The benchmark's root on disk; generates the embedded benchmark on first use.

        Raises DataError naming the path and the expected layout when a real dataset is missing.
        """
        if self.embedded and data_root is None:
            return self.resolver(dict(params or {}))
        if data_root is None:
            raise DataError(f"benchmark {self.name!r} reads a real dataset: pass --data-root DIR, where DIR is "
                            f"laid out as:\n{self.expected_layout}")
        root = Path(data_root).expanduser().resolve()
        if not root.is_dir():
            raise DataError(f"--data-root {root} does not exist; benchmark {self.name!r} expects:\n"
                            f"{self.expected_layout}")
        missing = [p for p in self.required_paths if not (root / p).exists()]
        if missing:
            raise DataError(f"--data-root {root} lacks {', '.join(missing)}; benchmark {self.name!r} expects:\n"
                            f"{self.expected_layout}")
        return root

    def class_names(self, root: Path) -> list[str]:
        """Foreground class names in label order (label k+1 in PNGs is ``class_names[k]``)."""
        if self.classes is not None:
            return list(self.classes)
        return list(self.class_reader(root))

    @property
    def num_semantic_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes) + 1
