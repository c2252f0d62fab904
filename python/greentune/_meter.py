"""Energy meter windows: ``Meter`` and ``Window`` (see docs/python.md)."""

import math
import numbers
from typing import Callable, Dict, List, NamedTuple, Optional

import numpy

from . import _core

__all__ = ["Meter", "Window", "DomainEnergy", "PowerSeries", "meters"]


class DomainEnergy(NamedTuple):
    """Energy of one domain in a window. ``joules`` is None when the domain was not
    measured (``note`` says why): a missing reading is never 0 J."""

    domain: str           # cpu_package | dram | gpu
    joules: Optional[float]
    source: str           # rapl | perf | nvml-energy | nvml-power | estimated ("" when not measured)
    estimated: bool       # True when the value comes from the CPU-time model, not a sensor
    note: str


class PowerSeries(NamedTuple):
    """A domain's power samples as read-only numpy views of the meter's own buffers (no
    copy): ``watts[i]`` is the power over (t_s[i-1], t_s[i]] (nvml-power: at t_s[i]) and
    ``cumulative_j[i]`` the energy since the meter started."""

    domain: str
    source: str
    t_s: "numpy.ndarray"
    watts: "numpy.ndarray"
    cumulative_j: "numpy.ndarray"


def _check_sync(sync, what):
    if sync is not None and not callable(sync):
        raise TypeError(f"{what}: sync must be a callable (e.g. torch.cuda.synchronize) or None, "
                        f"got {type(sync).__name__}")
    return sync


def _text_option(value, name):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"Meter: {name} must be a str, got {type(value).__name__}")
    return value


class Window:
    """A time interval on a Meter's clock. Open and close it with ``with meter.window(name):``
    or ``open()``/``close()``; windows may nest and overlap. Afterwards ``energy`` gives
    joules per domain and ``seconds`` the length."""

    __slots__ = ("name", "start", "end", "_meter", "_now", "_sync", "_energy")

    def __init__(self, meter: "Meter", name: str, sync, sample_at_edges: bool):
        self.name = name
        self.start: Optional[float] = None  # seconds on the meter's clock
        self.end: Optional[float] = None
        self._meter = meter
        # an edge is a clock read, or (sample_at_edges) a sample of every backend
        self._now = meter._core.sample_now if sample_at_edges else meter._core.now
        self._sync = sync
        self._energy = None

    def open(self) -> "Window":
        if self.start is not None:
            raise RuntimeError(f"window {self.name!r} was already opened (a window is opened once)")
        if self._sync is not None:
            self._sync()
        self.start = self._now()
        return self

    def close(self) -> "Window":
        if self.start is None:
            raise RuntimeError(f"window {self.name!r} is not open")
        if self.end is not None:
            raise RuntimeError(f"window {self.name!r} is already closed")
        if self._sync is not None:
            self._sync()
        self.end = self._now()
        return self

    __enter__ = open

    def __exit__(self, exc_type, exc, tb):
        if self.end is None:
            self.close()
        return False

    @property
    def is_open(self) -> bool:
        return self.start is not None and self.end is None

    @property
    def seconds(self) -> float:
        """Length of the window (so far, while it is open)."""
        if self.start is None:
            raise RuntimeError(f"window {self.name!r} was never opened")
        return (self.end if self.end is not None else self._now()) - self.start

    @property
    def energy(self) -> Dict[str, DomainEnergy]:
        """Joules per domain over the closed window (cpu_package, dram, gpu), each with its
        source and an ``estimated`` flag."""
        if self._energy is None:
            if self.start is None or self.end is None:
                raise RuntimeError(f"window {self.name!r} is {'open' if self.start is not None else 'not opened'}: "
                                   "its energy is known once it is closed")
            readings = self._meter._core.energy(self.start, self.end)
            self._energy = {d: DomainEnergy(d, j, src, src == "estimated" and j is not None, note)
                            for d, j, src, note in readings}
        return self._energy

    @property
    def joules(self) -> Dict[str, Optional[float]]:
        """{domain: joules or None}."""
        return {d: e.joules for d, e in self.energy.items()}

    @property
    def total_j(self) -> Optional[float]:
        """Sum of the measured domains (None when none was measured)."""
        vals = [e.joules for e in self.energy.values() if e.joules is not None]
        return sum(vals) if vals else None

    def to_dict(self) -> dict:
        return {"name": self.name, "start_s": self.start, "end_s": self.end, "seconds": self.seconds,
                "energy": {d: {"joules": e.joules, "source": e.source, "estimated": e.estimated}
                           for d, e in self.energy.items()}}

    def __repr__(self):
        state = "open" if self.is_open else ("closed" if self.end is not None else "not opened")
        return f"<greentune.Window {self.name!r} {state}>"


class Meter:
    """Measures energy continuously in the background and answers for windows.

    meter: auto | rapl | perf | nvml | estimate | none (comma list allowed), as
    ``greentune measure --meter``. sample_interval: seconds between power samples
    (0.001-60); a window edge is resolved to within one interval. sync: a callable run at
    every window edge (e.g. ``torch.cuda.synchronize``). powercap_root, nvml_library,
    perf_sysfs_root, gpus: as the CLI's meter flags (defaults honour the GREENTUNE_*
    environment variables). capacity: samples kept per domain. sample_at_edges: every
    window edge also takes a sample of every backend, so counter backends (rapl, perf,
    nvml-energy) have no interpolation error at the edges, at the cost of reading them.
    """

    def __init__(self, meter: str = "auto", sample_interval: float = 0.1, sync: Optional[Callable] = None, *,
                 powercap_root: Optional[str] = None, nvml_library: Optional[str] = None,
                 perf_sysfs_root: Optional[str] = None, gpus: Optional[List[str]] = None, capacity: int = 1 << 22,
                 sample_at_edges: bool = False):
        if not isinstance(meter, str):
            raise TypeError(f"Meter: meter must be a str such as 'auto', got {type(meter).__name__}")
        if isinstance(sample_interval, bool) or not isinstance(sample_interval, numbers.Real):
            raise TypeError(f"Meter: sample_interval must be a number of seconds, got {type(sample_interval).__name__}")
        interval = float(sample_interval)
        if not math.isfinite(interval) or not 0.001 <= interval <= 60:
            raise ValueError(f"Meter: sample_interval must be between 0.001 and 60 s, got {sample_interval!r}")
        if isinstance(capacity, bool) or not isinstance(capacity, numbers.Integral) or not 2 <= capacity <= 1 << 32:
            raise ValueError(f"Meter: capacity must be an integer from 2 to 2**32, got {capacity!r}")
        if gpus is None:
            gpus = []
        elif isinstance(gpus, str) or not all(isinstance(g, str) for g in gpus):
            raise TypeError("Meter: gpus must be a list of GPU UUIDs or PCI bus ids (str)")
        self._sync = _check_sync(sync, "Meter")
        self._options = (_text_option(powercap_root, "powercap_root"), _text_option(nvml_library, "nvml_library"),
                         _text_option(perf_sysfs_root, "perf_sysfs_root"), list(gpus))
        self._core = _core._WindowMeter(meter, int(round(interval * 1000)), *self._options, int(capacity))
        self.meter = meter
        self.sample_interval = self._core.interval_ms / 1000.0
        self.sample_at_edges = bool(sample_at_edges)

    _DEFAULT = object()

    def window(self, name: str = "", sync=_DEFAULT, sample_at_edges: Optional[bool] = None) -> Window:
        """A new window (not yet open: use ``with`` or ``open()``). sync and sample_at_edges
        override the meter's."""
        if not isinstance(name, str):
            raise TypeError(f"Meter.window: name must be a str, got {type(name).__name__}")
        if self._core.stopped:
            raise RuntimeError("Meter.window: the meter is closed")
        return Window(self, name, self._sync if sync is Meter._DEFAULT else _check_sync(sync, "Meter.window"),
                      self.sample_at_edges if sample_at_edges is None else bool(sample_at_edges))

    def now(self) -> float:
        """Seconds since the meter started (its clock)."""
        return self._core.now()

    def sample(self) -> float:
        """Takes a sample of every backend now; returns its time on the meter's clock."""
        return self._core.sample_now()

    def energy_between(self, start: float, end: float) -> Dict[str, DomainEnergy]:
        """Energy per domain between two times of this meter's clock."""
        return {d: DomainEnergy(d, j, src, src == "estimated" and j is not None, note)
                for d, j, src, note in self._core.energy(float(start), float(end))}

    @property
    def backends(self) -> List[str]:
        return list(self._core.backends)

    @property
    def domains(self) -> List[str]:
        """Measured domains (those with a power series)."""
        return list(self._core.domains)

    @property
    def notes(self) -> List[str]:
        return list(self._core.notes) + [f"{d}: {why}" for d, why in self._core.missing]

    def samples(self, domain: str) -> PowerSeries:
        """The domain's power samples so far, as numpy views without copies."""
        if not isinstance(domain, str):
            raise TypeError("Meter.samples: domain must be a str such as 'cpu_package'")
        source, t, w, e = self._core.series(domain)
        # buffers (PEP 3118) of the meter's memory, read-only: numpy.asarray makes views
        return PowerSeries(domain, source, numpy.asarray(t), numpy.asarray(w), numpy.asarray(e))

    def meters(self) -> dict:
        """Which backends work here and why the others do not: the document
        ``greentune meters --json`` prints, for this meter's options."""
        import json
        return json.loads(_core.meters_json(*self._options))

    def close(self) -> None:
        """Stops the background sampler (windows already closed keep their energy)."""
        self._core.stop()

    @property
    def closed(self) -> bool:
        return self._core.stopped

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False

    def __repr__(self):
        return (f"<greentune.Meter {self.meter!r} backends={self.backends} interval={self.sample_interval:g} s"
                f"{' closed' if self.closed else ''}>")


def meters(powercap_root: Optional[str] = None, nvml_library: Optional[str] = None,
           perf_sysfs_root: Optional[str] = None, gpus: Optional[List[str]] = None) -> dict:
    """``greentune meters --json`` as a dict: which backends work here and why the others do not."""
    import json
    if gpus is not None and (isinstance(gpus, str) or not all(isinstance(g, str) for g in gpus)):
        raise TypeError("meters: gpus must be a list of GPU UUIDs or PCI bus ids (str)")
    return json.loads(_core.meters_json(_text_option(powercap_root, "powercap_root"),
                                        _text_option(nvml_library, "nvml_library"),
                                        _text_option(perf_sysfs_root, "perf_sysfs_root"), list(gpus or [])))
