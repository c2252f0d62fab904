"""greentune.Meter windows against the fake powercap tree, the fake NVML library and the
estimate model; nested and overlapping windows; numpy views; sync; bad arguments."""

import ctypes
import json
import os
import time

import numpy as np
import pytest

import greentune
from conftest import fake_nvml_path, run_cli

TICK = 0.01  # the tests' sample interval


def settle(n=4):
    time.sleep(n * TICK)


def test_rapl_windows_see_exactly_the_counter_increments(powercap):
    # sample_at_edges: every edge reads the counters, so nothing is interpolated
    with greentune.Meter("rapl", TICK, powercap_root=powercap.root, sample_at_edges=True) as m:
        assert m.backends == ["rapl"]
        assert m.domains == ["cpu_package", "dram"]
        outer = m.window("outer").open()
        with m.window("before") as before:
            settle(1)
        with m.window("inner") as inner:
            powercap.add(package_j=5.0, dram_j=1.5)
            settle(2)
        overlap = m.window("overlap").open()
        outer.close()
        powercap.add(package_j=2.0)
        overlap.close()
        e = inner.energy
        assert e["cpu_package"].joules == pytest.approx(5.0, rel=1e-9)
        assert e["dram"].joules == pytest.approx(1.5, rel=1e-9)
        assert e["cpu_package"].source == "rapl" and not e["cpu_package"].estimated
        assert e["gpu"].joules is None and e["gpu"].note  # not measured: never 0 J
        assert before.energy["cpu_package"].joules == pytest.approx(0.0, abs=1e-12)
        assert outer.energy["cpu_package"].joules == pytest.approx(5.0, rel=1e-9)
        assert overlap.energy["cpu_package"].joules == pytest.approx(2.0, rel=1e-9)
        assert overlap.energy["dram"].joules == pytest.approx(0.0, abs=1e-12)
        assert inner.seconds > 0 and outer.start < inner.start < inner.end < outer.end
        assert inner.total_j == pytest.approx(6.5, rel=1e-9)


def test_default_edges_interpolate_within_one_sample_interval(powercap):
    # plain clock-read edges: exact when samples fall between the edge and the change...
    with greentune.Meter("rapl", 60, powercap_root=powercap.root) as m:  # no background tick
        with m.window("w") as w:
            m.sample()
            powercap.add(package_j=4.0)
            m.sample()
        assert w.energy["cpu_package"].joules == pytest.approx(4.0, rel=1e-9)
        # ...and a change between two samples is spread over their interval, in proportion
        t0 = m.sample()
        a = m.window("a").open()
        time.sleep(0.02)
        powercap.add(package_j=3.0)
        b = m.window("b").open()
        t1 = m.sample()
        a.close()
        b.close()
        share = (t1 - b.start) / (t1 - t0)
        assert b.energy["cpu_package"].joules == pytest.approx(3.0 * share, rel=1e-6)
        assert m.energy_between(t0, t1)["cpu_package"].joules == pytest.approx(3.0, rel=1e-9)


def test_windows_are_additive_and_nest(powercap):
    with greentune.Meter("rapl", TICK, powercap_root=powercap.root) as m:
        cuts = [m.now()]
        for k in range(6):
            powercap.add(package_j=0.25 * (k + 1), dram_j=0.1)
            time.sleep(0.004 * (k % 3))
            cuts.append(m.now())
        m.sample()
        parts = [m.energy_between(a, b)["cpu_package"].joules for a, b in zip(cuts, cuts[1:])]
        whole = m.energy_between(cuts[0], cuts[-1])["cpu_package"].joules
        assert sum(parts) == pytest.approx(whole, rel=1e-12)
        with m.window("outer", sample_at_edges=True) as outer:
            with m.window("inner", sample_at_edges=True) as inner:
                powercap.add(package_j=1.25, dram_j=0.5)
        assert outer.energy["cpu_package"].joules == pytest.approx(1.25, rel=1e-9)
        assert inner.energy["dram"].joules == pytest.approx(0.5, rel=1e-9)


def test_counter_wrap_is_handled(powercap):
    powercap.uj["intel-rapl:0"] = powercap.RANGE - 1_000_000  # 1 J before the wrap
    powercap.add()
    with greentune.Meter("rapl", TICK, powercap_root=powercap.root, sample_at_edges=True) as m:
        with m.window("wrap") as w:
            powercap.add(package_j=3.0)  # wraps
        assert w.energy["cpu_package"].joules == pytest.approx(3.0, rel=1e-9)


def _fake_nvml(monkeypatch, no_energy=False):
    lib = fake_nvml_path()
    monkeypatch.setenv("FAKE_NVML_GPUS", "2")
    if no_energy:
        monkeypatch.setenv("FAKE_NVML_NO_ENERGY", "1")
    else:
        monkeypatch.delenv("FAKE_NVML_NO_ENERGY", raising=False)
    truth = ctypes.CDLL(lib)  # the same library the meter loads: same clock and state
    truth.fake_nvml_true_energy_mj.restype = ctypes.c_double
    truth.fake_nvml_true_energy_mj.argtypes = [ctypes.c_int]
    return lib, lambda: sum(truth.fake_nvml_true_energy_mj(i) for i in range(2)) / 1000.0


def _bracketed_window(m, true_j, seconds):
    """A window read at its edges (sample_at_edges), with the fake GPUs' true energy read just
    before and just after each edge: the window must lie between the two brackets."""
    a = true_j()
    w = m.window("gpu", sample_at_edges=True).open()
    b = true_j()
    time.sleep(seconds)
    c = true_j()
    w.close()
    d = true_j()
    return w, c - b, d - a


def test_nvml_energy_counter_window_matches_the_fake_gpus(monkeypatch):
    lib, true_j = _fake_nvml(monkeypatch)
    with greentune.Meter("nvml", TICK, nvml_library=lib) as m:
        assert m.domains == ["gpu"]
        settle()
        w, inner, outer = _bracketed_window(m, true_j, 0.25)
        g = w.energy["gpu"]
        assert g.source == "nvml-energy" and not g.estimated
        assert inner - 0.005 <= g.joules <= outer + 0.005  # the counter counts whole mJ
        assert w.energy["cpu_package"].joules is None


def test_nvml_power_samples_are_integrated_by_trapezoid(monkeypatch):
    lib, true_j = _fake_nvml(monkeypatch, no_energy=True)
    with greentune.Meter("nvml", TICK, nvml_library=lib) as m:
        settle()
        w, inner, outer = _bracketed_window(m, true_j, 0.3)
        g = w.energy["gpu"]
        assert g.source == "nvml-power"
        # power rises linearly, so the trapezoid between samples is exact up to timing
        assert inner * 0.99 <= g.joules <= outer * 1.01
        s = m.samples("gpu")
        assert s.source == "nvml-power" and len(s.t_s) >= 2


def test_estimate_is_labelled_and_stays_within_the_model():
    ncpu = os.cpu_count()
    with greentune.Meter("estimate", TICK) as m:
        with m.window("busy") as w:
            t = time.process_time()
            while time.process_time() - t < 0.2:
                pass
        pkg, dram = w.energy["cpu_package"], w.energy["dram"]
        assert pkg.estimated and pkg.source == "estimated" and "estimated" in pkg.note
        assert dram.estimated and w.energy["gpu"].joules is None
        # the model: 2 W per CPU idle + 12 W per busy CPU; this process kept one CPU busy
        assert 2.0 * ncpu * w.seconds * 0.97 <= pkg.joules <= 14.0 * ncpu * w.seconds * 1.03
        assert pkg.joules >= (2.0 * ncpu + 12.0 * 0.5) * w.seconds
        meminfo = open("/proc/meminfo").read().split("\n")[0].split()
        gb = int(meminfo[1]) * 1024 / 1e9
        assert dram.joules == pytest.approx(0.375 * gb * w.seconds, rel=0.05)


def test_samples_are_numpy_views_without_copies(powercap):
    with greentune.Meter("rapl", TICK, powercap_root=powercap.root) as m:
        powercap.add(package_j=1.0)
        for _ in range(3):  # explicit samples: the test does not depend on the sampler's timing
            settle(1)
            m.sample()
        a = m.samples("cpu_package")
        settle(1)
        m.sample()
        b = m.samples("cpu_package")
        assert a.t_s.dtype == np.float64 and not a.t_s.flags.writeable and not a.t_s.flags.owndata
        assert np.shares_memory(a.t_s, b.t_s) and np.shares_memory(a.watts, b.watts)
        assert len(b.t_s) >= len(a.t_s) >= 3
        assert np.array_equal(a.t_s, b.t_s[:len(a.t_s)])  # written once, never moved
        assert np.all(np.diff(b.t_s) > 0)
        # for counters, power x interval adds up to the cumulative energy
        dt = np.diff(np.concatenate([[0.0], b.t_s]))
        assert np.allclose(np.cumsum(b.watts * dt), b.cumulative_j, rtol=1e-12, atol=1e-12)
        assert b.cumulative_j[-1] == pytest.approx(1.0, rel=1e-9)
        with pytest.raises(ValueError):
            a.t_s[0] = 1.0
    # the views keep the buffers alive after the meter is closed and dropped
    del m
    assert b.cumulative_j[-1] == pytest.approx(1.0, rel=1e-9)


def test_sync_runs_at_every_window_edge(powercap):
    calls = []
    with greentune.Meter("rapl", TICK, sync=lambda: calls.append("meter"), powercap_root=powercap.root) as m:
        with m.window("a"):
            with m.window("b", sync=lambda: calls.append("b")):
                pass
        with m.window("c", sync=None):
            pass
    assert calls == ["meter", "b", "b", "meter"]


def test_window_misuse_and_bad_arguments_raise_clear_errors(powercap, tmp_path):
    with pytest.raises(ValueError, match="warp"):
        greentune.Meter("warp")
    with pytest.raises(ValueError, match="sample_interval"):
        greentune.Meter("estimate", 0)
    with pytest.raises(TypeError, match="sample_interval"):
        greentune.Meter("estimate", "fast")
    with pytest.raises(TypeError, match="sync"):
        greentune.Meter("estimate", sync=5)
    with pytest.raises(TypeError, match="meter"):
        greentune.Meter(3)
    with pytest.raises(greentune.MeterError, match="rapl"):
        greentune.Meter("rapl", powercap_root=str(tmp_path / "nowhere"))
    with greentune.Meter("rapl", TICK, powercap_root=powercap.root) as m:
        w = m.window("x")
        with pytest.raises(RuntimeError, match="not opened"):
            w.energy
        w.open()
        with pytest.raises(RuntimeError, match="already opened"):
            w.open()
        with pytest.raises(RuntimeError, match="open"):
            w.energy
        w.close()
        with pytest.raises(RuntimeError, match="already closed"):
            w.close()
        with pytest.raises(TypeError):
            m.window(5)
        with pytest.raises(ValueError, match="not measured|measured domains"):
            m.samples("gpu")
        with pytest.raises(ValueError, match="future"):
            m.energy_between(0, m.now() + 100)
    with pytest.raises(RuntimeError, match="closed"):
        m.window("late")


def test_meters_is_the_cli_document(powercap, gt_bin, monkeypatch):
    monkeypatch.setenv("GREENTUNE_POWERCAP_ROOT", powercap.root)
    monkeypatch.setenv("GREENTUNE_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1")
    r = run_cli(["meters", "--json"])
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout)
    assert greentune.meters() == cli
    with greentune.Meter() as m:
        assert m.meters() == cli
        assert m.backends == ["rapl"]


def test_forked_child_can_close_the_meter(powercap):
    m = greentune.Meter("rapl", TICK, powercap_root=powercap.root)
    pid = os.fork()
    if pid == 0:  # the sampler thread does not exist here: close() must not wait for it
        try:
            with m.window("child") as w:
                powercap.add(package_j=1.0)
            w.energy
            m.close()
        finally:
            os._exit(0)
    deadline = time.time() + 10
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    else:
        os.kill(pid, 9)
        pytest.fail("the forked child hung closing the meter")
    assert os.WEXITSTATUS(status) == 0
    m.close()


def test_window_open_and_close_cost_under_50_microseconds():
    with greentune.Meter("estimate", 0.1) as m:
        n = 20000
        for _ in range(1000):  # warm up
            with m.window("w"):
                pass
        best = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                with m.window("w"):
                    pass
            best.append((time.perf_counter() - t) / n)
        # median of 5 rounds, each the mean over 20,000 windows; docs/python.md has the figures
        assert sorted(best)[2] < 50e-6, best
