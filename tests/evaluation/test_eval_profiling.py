"""Profiler: phases, warm-up, per-iteration and per-image figures, peak RSS."""
from __future__ import annotations

import time

import numpy as np

from wsisbench.evaluation.profiling import Profiler, RssSampler, current_rss_mib, process_peak_rss_mib, reset_peak_rss


class FakeClock:
    """A clock the test advances by hand: what the profiler measures, independent of the machine's speed."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_steps_warmup_and_rates(monkeypatch):
    import wsisbench.evaluation.profiling as profiling

    clock = FakeClock()
    monkeypatch.setattr(profiling.time, "perf_counter", clock)
    prof = Profiler(device="cpu", warmup=2)
    durations = [5.0, 3.0, 0.5, 0.25, 0.75]  # two slow warm-up steps, then three timed ones
    with prof.phase("train", batch_size=4) as ph:
        for d in durations:
            with ph.step(num_images=4):
                clock.now += d
            clock.now += 0.125  # time between steps (data loading) belongs to the phase, not to a step
    r = prof.phases["train"]
    assert r.num_iters == 5 and r.warmup_iters == 2 and r.timed_iters == 3 and r.num_images == 20
    assert r.sec_per_iter == 0.5  # mean of the timed steps (0.5 + 0.25 + 0.75) / 3: warm-up left out
    assert r.sec_per_img == r.sec_per_iter / 4
    assert r.wall_time_s == sum(durations) + 5 * 0.125
    with prof.phase("inference", num_images=10):
        clock.now += 2.0
    s = prof.summary()
    assert s["device"] == "cpu" and s["warmup"] == 2
    assert s["sec_per_iter"] == 0.5
    assert s["sec_per_img"] == 2.0 / 10  # a phase without steps: wall time over its images
    assert s["cuda_max_allocated_mib"] is None and s["phases"]["train"]["batch_size"] == 4
    assert s["peak_rss_mib"] > 10 and s["process_peak_rss_mib"] >= s["peak_rss_mib"] - 1


def test_peak_rss_sees_a_short_allocation():
    prof = Profiler(device="cpu", sample_interval=0.005)
    with prof.phase("alloc"):
        base = current_rss_mib()
        block = np.ones(64 * 1024 * 1024 // 8)  # 64 MiB, touched
        time.sleep(0.05)
        del block
    r = prof.phases["alloc"]
    assert r.peak_rss_mib >= base + 50, (r.peak_rss_mib, base, r.rss_method)
    with prof.phase("small"):
        pass
    if prof.phases["small"].rss_method == "VmHWM":  # the reset worked: the later phase does not see the block
        assert prof.phases["small"].peak_rss_mib < r.peak_rss_mib - 30


def test_sampler_and_helpers():
    assert process_peak_rss_mib() > 1
    assert isinstance(reset_peak_rss(), bool)
    with RssSampler(0.001) as s:
        time.sleep(0.01)
    assert s.peak_mib > 1
