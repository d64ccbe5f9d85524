"""Profiler: phases, warm-up, per-iteration and per-image figures, peak RSS."""
from __future__ import annotations

import time

import numpy as np
import pytest

from wsisbench.evaluation.profiling import (Profiler, RssSampler, current_rss_mib, process_peak_rss_mib,
                                            reset_peak_rss)


def test_steps_warmup_and_rates():
    prof = Profiler(device="cpu", warmup=2)
    with prof.phase("train", batch_size=4) as ph:
        for i in range(5):
            with ph.step(num_images=4):
                time.sleep(0.05 if i < 2 else 0.01)  # slow warm-up steps are left out
    r = prof.phases["train"]
    assert r.num_iters == 5 and r.warmup_iters == 2 and r.timed_iters == 3 and r.num_images == 20
    assert 0.009 < r.sec_per_iter < 0.03 and r.sec_per_img == pytest.approx(r.sec_per_iter / 4)
    assert r.wall_time_s >= 0.13
    with prof.phase("inference", num_images=10):
        time.sleep(0.02)
    s = prof.summary()
    assert s["device"] == "cpu" and s["warmup"] == 2
    assert s["sec_per_iter"] == r.sec_per_iter
    assert s["sec_per_img"] == pytest.approx(prof.phases["inference"].wall_time_s / 10)
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
