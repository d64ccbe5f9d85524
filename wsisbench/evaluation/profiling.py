"""Run time and peak memory of a run's phases (evaluation-protocols.md section 4).

Time: wall clock with the device synchronised before every reading; warm-up steps are left out of the
per-step figures. ``sec_per_iter`` is per optimizer step (training), ``sec_per_img`` everything spent on one
image (all scales, flips, samples).

Memory, per phase:

- CUDA: ``torch.cuda.max_memory_allocated`` and ``max_memory_reserved``, peak stats reset when the phase
  starts (MiB).
- CPU: the process's peak resident set size (MiB). Where Linux permits it, the kernel's high-water mark
  (``VmHWM``) is reset at the start of the phase by writing ``5`` to ``/proc/self/clear_refs``; otherwise a
  background thread samples the RSS every ``sample_interval`` seconds. ``rss_method`` names the one used.
  ``getrusage`` gives the lifetime peak of the process (``process_peak_rss_mib``). Child processes (data
  loader workers) are not counted.

Usage::

    prof = Profiler(device="cuda", warmup=2)
    with prof.phase("train") as ph:
        for batch in loader:
            with ph.step(num_images=len(batch)):   # one optimizer step
                train_step(batch)
    with prof.phase("inference", num_images=1449):  # a whole phase, timed as one block
        predict_all()
    prof.summary()  # {"device", "sec_per_iter", "sec_per_img", "peak_rss_mib", "cuda_max_allocated_mib", ...}
"""
from __future__ import annotations

import contextlib
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

MIB = 1024 * 1024


# --------------------------------------------------------------------------- CPU memory
def _status_kib(key: str) -> int | None:
    """A ``/proc/self/status`` field in KiB (``VmRSS``, ``VmHWM``), or None where unavailable."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def current_rss_mib() -> float | None:
    """Resident set size of this process now (MiB), None where /proc is unavailable."""
    kib = _status_kib("VmRSS")
    return kib / 1024 if kib is not None else None


def process_peak_rss_mib() -> float:
    """Lifetime peak RSS of this process (MiB) from ``getrusage`` (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (``VmHWM``); False where not permitted or not Linux."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kib("VmHWM") is not None
    except OSError:
        return False


def peak_rss_since_reset_mib() -> float | None:
    """``VmHWM`` (MiB): the peak RSS since the last :func:`reset_peak_rss` (or since the start)."""
    kib = _status_kib("VmHWM")
    return kib / 1024 if kib is not None else None


class RssSampler:
    """A daemon thread that records the largest RSS seen every ``interval`` seconds (MiB)."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak_mib = current_rss_mib() or 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wsisbench-rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = current_rss_mib()
            if rss is not None and rss > self.peak_mib:
                self.peak_mib = rss

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        rss = current_rss_mib()
        if rss is not None:
            self.peak_mib = max(self.peak_mib, rss)


# --------------------------------------------------------------------------- device
def _torch():
    return sys.modules.get("torch")


def resolve_device(device: Any = None) -> str:
    """``"cuda"``, ``"cuda:1"`` or ``"cpu"``; ``None``/``"auto"`` picks CUDA when torch sees one."""
    if device is None or str(device) == "auto":
        torch = _torch()
        if torch is None:
            try:
                import torch  # noqa: F401  (only to ask whether CUDA exists)
            except ImportError:
                return "cpu"
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def synchronize(device: str) -> None:
    """Wait for queued device work (no-op on CPU)."""
    if device.startswith("cuda"):
        _torch().cuda.synchronize(device)


# --------------------------------------------------------------------------- records
@dataclass
class PhaseRecord:
    """Figures of one phase (seconds, MiB)."""

    name: str
    wall_time_s: float = 0.0
    num_iters: int = 0
    num_images: int = 0
    warmup_iters: int = 0
    timed_iters: int = 0
    timed_images: int = 0
    timed_s: float = 0.0
    peak_rss_mib: float | None = None
    rss_method: str = ""
    cuda_max_allocated_mib: float | None = None
    cuda_max_reserved_mib: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sec_per_iter(self) -> float | None:
        if self.timed_iters:
            return self.timed_s / self.timed_iters
        return self.wall_time_s / self.num_iters if self.num_iters else None

    @property
    def sec_per_img(self) -> float | None:
        if self.timed_images:
            return self.timed_s / self.timed_images
        return self.wall_time_s / self.num_images if self.num_images else None

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "extra"}
        d.update(sec_per_iter=self.sec_per_iter, sec_per_img=self.sec_per_img, **self.extra)
        return d


class _Phase:
    """What ``Profiler.phase`` yields: counts steps; the first ``warmup`` steps are not timed."""

    def __init__(self, record: PhaseRecord, device: str, warmup: int):
        self.record, self.device, self.warmup = record, device, warmup

    @contextlib.contextmanager
    def step(self, num_images: int = 0) -> Iterator[None]:
        """Time one iteration (e.g. one optimizer step) that handles ``num_images`` images."""
        synchronize(self.device)
        start = time.perf_counter()
        yield
        synchronize(self.device)
        elapsed = time.perf_counter() - start
        r = self.record
        r.num_iters += 1
        r.num_images += int(num_images)
        if r.num_iters <= self.warmup:
            r.warmup_iters += 1
        else:
            r.timed_iters += 1
            r.timed_images += int(num_images)
            r.timed_s += elapsed

    def add(self, num_images: int = 0, num_iters: int = 0) -> None:
        """Count work done outside :meth:`step` (only the phase's wall time covers it)."""
        self.record.num_images += int(num_images)
        self.record.num_iters += int(num_iters)


class Profiler:
    """Phase timer and memory meter for one process.

    Args:
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``/``None``.
        warmup: leading :meth:`_Phase.step` calls of each phase left out of the per-step figures.
        sample_interval: RSS sampling period (s) where the kernel high-water mark cannot be reset.
    """

    def __init__(self, device: Any = None, warmup: int = 1, sample_interval: float = 0.05):
        self.device = resolve_device(device)
        self.warmup = int(warmup)
        self.sample_interval = sample_interval
        self.phases: dict[str, PhaseRecord] = {}

    @contextlib.contextmanager
    def phase(self, name: str, num_images: int = 0, num_iters: int = 0, **extra: Any) -> Iterator[_Phase]:
        """Measure a block; ``num_images``/``num_iters`` count work not timed through ``step``.

        ``extra`` (batch size, scales, ...) is stored with the phase. A phase name used again replaces
        the old record.
        """
        record = PhaseRecord(name, num_iters=int(num_iters), num_images=int(num_images), extra=dict(extra))
        cuda = self.device.startswith("cuda")
        if cuda:
            torch = _torch()
            synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        hwm = reset_peak_rss()
        ph = _Phase(record, self.device, self.warmup)
        synchronize(self.device)
        start = time.perf_counter()
        with contextlib.ExitStack() as stack:
            sampler = None if hwm else stack.enter_context(RssSampler(self.sample_interval))
            yield ph
            synchronize(self.device)
            record.wall_time_s = time.perf_counter() - start
        if hwm:
            record.peak_rss_mib, record.rss_method = peak_rss_since_reset_mib(), "VmHWM"
        elif sampler is not None and current_rss_mib() is not None:
            record.peak_rss_mib, record.rss_method = sampler.peak_mib, f"sampled every {self.sample_interval}s"
        else:
            record.peak_rss_mib, record.rss_method = process_peak_rss_mib(), "getrusage (process lifetime)"
        if cuda:
            torch = _torch()
            record.cuda_max_allocated_mib = torch.cuda.max_memory_allocated(self.device) / MIB
            record.cuda_max_reserved_mib = torch.cuda.max_memory_reserved(self.device) / MIB
        self.phases[name] = record

    def _pick(self, preferred: str, attr: str) -> float | None:
        if preferred in self.phases and getattr(self.phases[preferred], attr) is not None:
            return getattr(self.phases[preferred], attr)
        values = [getattr(p, attr) for p in self.phases.values() if getattr(p, attr) is not None]
        return values[0] if len(values) == 1 else None

    def summary(self, iter_phase: str = "train", img_phase: str = "inference") -> dict[str, Any]:
        """The run's figures (the ``profile`` part of result.json).

        ``sec_per_iter`` comes from ``iter_phase``, ``sec_per_img`` from ``img_phase`` (or from the only
        phase that has such a figure); memory peaks are maxima over phases; ``phases`` has every record.
        """
        def peak(attr: str) -> float | None:
            values = [getattr(p, attr) for p in self.phases.values() if getattr(p, attr) is not None]
            return max(values) if values else None

        return {
            "device": self.device,
            "warmup": self.warmup,
            "sec_per_iter": self._pick(iter_phase, "sec_per_iter"),
            "sec_per_img": self._pick(img_phase, "sec_per_img"),
            "peak_rss_mib": peak("peak_rss_mib"),
            "process_peak_rss_mib": process_peak_rss_mib(),
            "cuda_max_allocated_mib": peak("cuda_max_allocated_mib"),
            "cuda_max_reserved_mib": peak("cuda_max_reserved_mib"),
            "phases": {name: rec.as_dict() for name, rec in self.phases.items()},
        }
