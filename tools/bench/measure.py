"""What scripts/bench measures, against one running Home Assistant."""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
from dataclasses import astuple, dataclass, field
import json
import math
import os
from pathlib import Path
import random
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.util import slugify

from simulator import STATUS_PATH, Fault, MediaScribeSimulator
from tools.demo.api import Server, add_entry
from tools.demo.demo import PRESETS
from tools.demo.processes import REPO

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from tools.bench.hass_socket import HassSocket
    from tools.demo.api import Session

TOKEN = "mediascribe-bench-token"  # noqa: S105 - a local benchmark's token
TRANSLATIONS = REPO / "custom_components" / "mediascribe" / "translations" / "en.json"

# Simulator 0 serves the integration's first entry, 1 the RESTful
# configuration, 2 and up the further entries of the cost measurement.
INTEGRATION_SIM = 0
PEER_SIM = 1

INTEGRATION_INTERVAL = 5.0  # the integration's fixed poll interval
PEER_DEFAULT_INTERVAL = 30.0  # rest's default scan_interval
LATENCIES = (0.005, 0.100)
COST_LATENCY = 0.005
POLL_CLUSTER_GAP = 1.0
# Successive multiples of it modulo 1 spread any number of trials evenly.
GOLDEN = (math.sqrt(5) - 1) / 2
EVENTS_SETTLE = 0.5
TRIAL_TIMEOUT = 30.0
SETUP_TIMEOUT = 60.0
MEMORY_TIMEOUT = 30.0

SETUP_INTEGRATION = "integration"
SETUP_PEER = "RESTful"


class BenchError(Exception):
    """The benchmark could not measure what it set out to."""


@dataclass(frozen=True)
class Profile:
    """How much to measure: the full run or the smoke run's token amounts."""

    rtt_samples: int
    command_rounds: int
    """Each round: switch on, select, switch off, select."""
    peer_periods: int
    """Poll periods of the RESTful setup per latency; three trials each."""
    min_detections: int
    """Server changes the integration must see per latency, at least."""
    peer_scan_interval: float | None
    """None keeps rest's default."""
    cost_counts: tuple[int, ...]
    """Memory is traced while entries go from the last but one to the last."""
    window: float
    settle: float


FULL = Profile(
    rtt_samples=30,
    command_rounds=5,
    peer_periods=4,
    min_detections=10,
    peer_scan_interval=None,
    cost_counts=(1, 10, 100),
    window=45.0,
    settle=10.0,
)
QUICK = Profile(
    rtt_samples=5,
    command_rounds=1,
    peer_periods=1,
    min_detections=1,
    peer_scan_interval=2.0,
    cost_counts=(1, 2, 5),
    window=5.5,
    settle=1.0,
)


@dataclass(frozen=True)
class Entities:
    """The entities one setup is driven and read through."""

    switch: str
    select: str
    no_signal: str


def site_name(index: int) -> str:
    """Return the site name of simulator `index` (entity ids follow it)."""
    return f"Bench {index:03d}"


def simulators(count: int) -> list[MediaScribeSimulator]:
    """Return `count` simulators, each with its own site, holding answers back."""
    sims = [
        MediaScribeSimulator(tokens=[TOKEN], site_name=site_name(i), presets=PRESETS)
        for i in range(count)
    ]
    for sim in sims:
        sim.add_fault(Fault(latency=COST_LATENCY))
    return sims


def integration_entities(index: int) -> tuple[str, ...]:
    """Return the entity ids (from the site and translated names) to wait for."""
    names = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["entity"]
    return tuple(
        f"{platform}.{slugify(site_name(index))}_{slugify(names[platform][key]['name'])}"
        for platform, key in (
            ("switch", "recording"),
            ("select", "preset"),
            ("binary_sensor", "no_signal"),
            ("sensor", "recording_started"),
            ("sensor", "recording_file"),
        )
    )


INTEGRATION = Entities(*integration_entities(INTEGRATION_SIM)[:3])
PEER = Entities(
    "switch.mediascribe_recording",
    "select.mediascribe_preset",
    "binary_sensor.mediascribe_no_signal",
)


@dataclass
class Results:
    """Everything measured; tools/bench/report.py turns it into the report."""

    machine: dict[str, Any]
    profile: dict[str, Any]
    intervals: dict[str, float]
    rtt: dict[str, list[float]] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    polls: dict[str, dict[str, int]] = field(default_factory=dict)
    cost: list[dict[str, Any]] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)
    setup: list[float] = field(default_factory=list)
    """Seconds per timed entry, the first one first."""


class Bench:
    """One run: Home Assistant, the simulators, and what is measured."""

    def __init__(
        self,
        profile: Profile,
        *,
        socket: HassSocket,
        sims: Sequence[MediaScribeSimulator],
        session: Session,
        hass_pid: int,
        memory_file: Path,
        results: Results,
    ) -> None:
        """Keep the connections a run measures through."""
        self.profile = profile
        self.ws = socket
        self.sims = sims
        self.session = session
        self.hass_pid = hass_pid
        self.memory_file = memory_file
        self.results = results
        self.peer_interval = profile.peer_scan_interval or PEER_DEFAULT_INTERVAL
        self.entries = 0

    async def run(self) -> None:
        """Measure everything, in an order that keeps the measurements apart."""
        await self._wait_for_peer()
        await asyncio.sleep(self.profile.settle)
        self.results.cost.append(await self.cost_window())
        await self.add_integration_entry(INTEGRATION_SIM, timed=True)
        for latency in LATENCIES:
            self.set_latency(latency)
            self.results.rtt[f"{latency:g}"] = await self.measure_rtt(INTEGRATION_SIM)
            await self.integration_commands(latency)
            await self.peer_trials(latency)
        self.set_latency(COST_LATENCY)
        await self.cost_scaling()

    def set_latency(self, seconds: float) -> None:
        """Hold back every answer of the first two simulators by `seconds`."""
        for sim in self.sims[INTEGRATION_SIM], self.sims[PEER_SIM]:
            sim.clear_faults()
            sim.add_fault(Fault(latency=seconds))

    async def _wait_for_peer(self) -> None:
        entities = astuple(PEER)
        deadline = time.monotonic() + SETUP_TIMEOUT
        while any(self.ws.state(e) in (None, "unavailable") for e in entities):
            if time.monotonic() > deadline:
                states = {e: self.ws.state(e) for e in entities}
                raise BenchError(f"the RESTful entities did not come up: {states}")
            await asyncio.sleep(0.2)

    # -- 1. command to confirmed state -------------------------------------------

    async def integration_commands(self, latency: float) -> None:
        """Time the integration's commands; the server answers a PUT with its status."""
        for _ in range(self.profile.command_rounds):
            for entity_id in (INTEGRATION.switch, INTEGRATION.select) * 2:
                # Off the poll grid, as a user's command would be.
                await asyncio.sleep(random.uniform(0.05, 0.3))  # noqa: S311
                await self.command(
                    entity_id, SETUP_INTEGRATION, latency, INTEGRATION_SIM
                )

    async def command(
        self, entity_id: str, setup: str, latency: float, sim: int
    ) -> None:
        """Send one command to a switch or select; record when the new state shows."""
        action, data, expected = self._next_command(entity_id)
        started_wall = time.time()
        # Only a state written after the call counts: the event of an earlier
        # poll may still be on its way.
        shown = self.ws.expect(
            entity_id,
            lambda change: change.state == expected and change.fired >= started_wall,
        )
        started = time.monotonic()
        returned = asyncio.ensure_future(
            _time_of(self.ws.call_service(action, entity_id, data))
        )
        timeout = TRIAL_TIMEOUT + self.peer_interval
        change = await asyncio.wait_for(shown, timeout)
        returned_at = await asyncio.wait_for(returned, timeout)
        # The requests this command caused: those until its action returned.
        methods = [
            r.method
            for r in self.sims[sim].requests
            if started <= r.time <= returned_at
        ]
        self.results.commands.append(
            {
                "setup": setup,
                "latency": latency,
                "seconds": change.fired - started_wall,
                "requests": {
                    method: methods.count(method) for method in ("GET", "PUT")
                },
            }
        )

    def _next_command(self, entity_id: str) -> tuple[str, dict[str, str], str]:
        change = self.ws.states.get(entity_id)
        if change is None:
            raise BenchError(f"{entity_id} has no state")
        if entity_id.startswith("switch."):
            if change.state == "on":
                return "switch.turn_off", {}, "off"
            return "switch.turn_on", {}, "on"
        options: list[str] = list(change.attributes.get("options", []))
        if len(options) < 2:  # noqa: PLR2004 - a change needs two options
            raise BenchError(f"{entity_id} has too few options: {options}")
        current = options.index(change.state) if change.state in options else -1
        option = options[(current + 1) % len(options)]
        return "select.select_option", {"option": option}, option

    # -- 1 and 2 for the RESTful setup, and 2 for the integration meanwhile ------

    async def peer_trials(self, latency: float) -> None:
        """Per poll period of the RESTful setup: two commands and a server change.

        Whatever happens within one period is confirmed by the same next poll,
        so a period yields three samples. The integration's detection trials
        run meanwhile on their own simulator.
        """
        enough = asyncio.Event()
        detections = asyncio.create_task(self.integration_detections(latency, enough))
        try:
            for period in range(self.profile.peer_periods):
                await self.peer_period(period, latency)
            await enough.wait()
        finally:
            detections.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await detections

    async def peer_period(self, period: int, latency: float) -> None:
        """Run one poll period's trials of the RESTful setup."""
        # The last poll's state changes arrive before a command is chosen.
        await asyncio.sleep(EVENTS_SETTLE)
        trials: list[Callable[[], Awaitable[None]]] = [
            lambda: self.command(PEER.switch, SETUP_PEER, latency, PEER_SIM),
            lambda: self.command(PEER.select, SETUP_PEER, latency, PEER_SIM),
            lambda: self.detection(PEER_SIM, PEER.no_signal, SETUP_PEER, latency),
        ]
        # The periods' trials, taken together, fall at evenly spread phases of
        # the rest coordinator's polls, and each kind of trial moves to
        # another third of the period from one period to the next.
        slots = len(trials) * self.profile.peer_periods
        phases = [
            (period + third * self.profile.peer_periods + 0.5) / slots
            for third in range(len(trials))
        ]
        poll = max(r.time for r in self.sims[PEER_SIM].requests if r.method == "GET")
        while poll + phases[0] * self.peer_interval < time.monotonic():
            poll += self.peer_interval
        await asyncio.gather(
            *(
                _at(poll + phase * self.peer_interval, trials[(third + period) % 3])
                for third, phase in enumerate(phases)
            )
        )

    async def integration_detections(
        self, latency: float, enough: asyncio.Event
    ) -> None:
        """Change the integration's server at spread phases until cancelled.

        `enough` is set once the profile's least number of trials is done.
        """
        base = time.monotonic()
        for trial in range(sys.maxsize):
            phase = 0.05 + 0.9 * (trial * GOLDEN % 1.0)
            await _at(
                base + phase * INTEGRATION_INTERVAL,
                lambda: self.detection(
                    INTEGRATION_SIM, INTEGRATION.no_signal, SETUP_INTEGRATION, latency
                ),
            )
            # Shown means just polled: the next phase counts from here.
            base = time.monotonic()
            if trial + 1 >= self.profile.min_detections:
                enough.set()

    async def detection(
        self, sim: int, entity_id: str, setup: str, latency: float
    ) -> None:
        """Toggle the no-signal flag on the server; record when it shows."""
        signal_lost = self.ws.state(entity_id) != "on"
        expected = "on" if signal_lost else "off"
        started = time.time()
        shown = self.ws.expect(
            entity_id,
            lambda change: change.state == expected and change.fired >= started,
        )
        self.sims[sim].has_no_signal = signal_lost
        change = await asyncio.wait_for(shown, TRIAL_TIMEOUT + self.peer_interval)
        self.results.detections.append(
            {"setup": setup, "latency": latency, "seconds": change.fired - started}
        )

    async def measure_rtt(self, sim: int) -> list[float]:
        """Time GETs of the status from here, on one kept-alive connection."""
        url = f"{self.sims[sim].url}{STATUS_PATH}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        samples = []
        async with aiohttp.ClientSession() as session:
            # The first request also opens the connection: not counted.
            for _ in range(self.profile.rtt_samples + 1):
                started = time.perf_counter()
                async with session.get(url, headers=headers) as response:
                    await response.read()
                samples.append(time.perf_counter() - started)
        return samples[1:]

    # -- 4. CPU, 5. memory and 6. setup ---------------------------------------------

    async def cost_scaling(self) -> None:
        """Add entries up to each count, then measure a quiet window.

        Memory is traced only while the last step's entries are added: tracing
        slows Home Assistant, so no CPU window and no timed setup sees it.
        """
        counts = self.profile.cost_counts
        for count in counts:
            traced = count == counts[-1]
            if traced:
                self.results.memory.append(await self.traced_memory())
            while self.entries < count:
                # Simulator 1 is the RESTful setup's: entries 2.. use 2..
                await self.add_integration_entry(self.entries + 1, timed=not traced)
                if traced:
                    self.results.memory.append(await self.traced_memory())
            if traced:
                os.kill(self.hass_pid, signal.SIGUSR2)
            await asyncio.sleep(self.profile.settle)
            self.results.cost.append(await self.cost_window())

    async def add_integration_entry(self, sim: int, *, timed: bool) -> None:
        """Add an entry through the config flow; time it until its entities show."""
        shown = [
            self.ws.expect(e, lambda c: c.state not in (None, "unavailable"))
            for e in integration_entities(sim)
        ]
        started = time.time()
        await asyncio.to_thread(
            add_entry, self.session, Server(self.sims[sim].url, TOKEN)
        )
        changes = await asyncio.wait_for(asyncio.gather(*shown), SETUP_TIMEOUT)
        self.entries += 1
        if timed:
            self.results.setup.append(max(c.fired for c in changes) - started)

    async def traced_memory(self) -> dict[str, Any]:
        """Return what Home Assistant's traced heap holds (the launcher's file)."""
        self.memory_file.unlink(missing_ok=True)
        os.kill(self.hass_pid, signal.SIGUSR1)
        deadline = time.monotonic() + MEMORY_TIMEOUT
        while not self.memory_file.exists():
            if time.monotonic() > deadline:
                raise BenchError("Home Assistant wrote no tracemalloc figures")
            await asyncio.sleep(0.05)
        sample: dict[str, Any] = json.loads(self.memory_file.read_text("utf-8"))
        return {"entries": self.entries, **sample}

    async def cost_window(self) -> dict[str, Any]:
        """Measure Home Assistant's CPU time and the polls over one quiet window."""
        before = read_loop_cpu(self.hass_pid)
        started = time.monotonic()
        await asyncio.sleep(self.profile.window)
        after = read_loop_cpu(self.hass_pid)
        ended = time.monotonic()
        sims = [INTEGRATION_SIM, *range(2, self.entries + 1)][: self.entries]
        ours = Counter[str]()
        for sim in sims:
            ours.update(self._polls(sim, started, ended))
        for setup, polls in (
            (SETUP_INTEGRATION, ours),
            (SETUP_PEER, self._polls(PEER_SIM, started, ended)),
        ):
            total = self.results.polls.setdefault(setup, {})
            for key, count in polls.items():
                total[key] = total.get(key, 0) + count
        return {
            "entries": self.entries,
            "seconds": ended - started,
            "loop_cpu": after - before,
            "polls": ours["polls"],
        }

    def _polls(self, sim: int, start: float, end: float) -> Counter[str]:
        """Count the GETs, other requests and polls a simulator saw in a window."""
        seen = [r for r in self.sims[sim].requests if start <= r.time <= end]
        gets = sorted(r.time for r in seen if r.method == "GET")
        polls, last = 0, -math.inf
        for at in gets:
            # Requests close together belong to one poll.
            polls += at - last > POLL_CLUSTER_GAP
            last = at
        return Counter(gets=len(gets), other=len(seen) - len(gets), polls=polls)


async def _at(when: float, trial: Callable[[], Awaitable[None]]) -> None:
    """Start `trial` at `when` (time.monotonic())."""
    await asyncio.sleep(max(0.0, when - time.monotonic()))
    await trial()


async def _time_of(future: Awaitable[object]) -> float:
    await future
    return time.monotonic()


def read_loop_cpu(pid: int) -> float:
    """Return the CPU seconds of process `pid`'s main thread, its event loop."""
    schedstat = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text(encoding="ascii")
    return int(schedstat.split()[0]) / 1e9
