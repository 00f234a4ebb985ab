"""What scripts/bench measures, against two running Home Assistants."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
import json
import math
import os
import random
import signal
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.util import slugify

from simulator import STATUS_PATH, Fault, MediaScribeSimulator
from tools.bench import cpu
from tools.demo.api import Server, add_entry
from tools.demo.demo import PRESETS
from tools.demo.processes import REPO

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from pathlib import Path

    from tools.bench.hass_socket import HassSocket, State
    from tools.demo.api import Session

TOKEN = "mediascribe-bench-token"  # noqa: S105 - a local benchmark's token
TRANSLATIONS = REPO / "custom_components" / "mediascribe" / "translations" / "en.json"

# Simulator 0 serves the integration's first entry, 1 the RESTful
# configuration, 2 the idle Home Assistant's, 3 and up the further entries.
INTEGRATION_SIM = 0
PEER_SIM = 1
IDLE_PEER_SIM = 2

INTEGRATION_INTERVAL = 5.0  # the integration's fixed poll interval
PEER_DEFAULT_INTERVAL = 30.0  # rest's default scan_interval
LATENCIES = (0.005, 0.100)
COST_LATENCY = 0.005
POLL_CLUSTER_GAP = 1.0
EVENTS_SETTLE = 0.5
TRIAL_TIMEOUT = 30.0
SETUP_TIMEOUT = 60.0
MEMORY_TIMEOUT = 30.0

SETUP_INTEGRATION = "integration"
SETUP_PEER = "RESTful"


@dataclass(frozen=True)
class Profile:
    """How much to measure: the full run or the smoke run's token amounts."""

    rtt_samples: int
    command_rounds: int
    """Each round: switch on, select, switch off, select."""
    peer_periods: int
    """Poll periods of the RESTful setup per latency; three trials each."""
    detections: int
    peer_scan_interval: float | None
    """None keeps rest's default."""
    cost_counts: tuple[int, ...]
    """Memory is traced while entries go from the last but one to the last."""
    window: float
    """Seconds of each CPU window and of the profile."""
    settle: float
    """Seconds without a save to storage before a window opens."""


FULL = Profile(
    rtt_samples=30,
    command_rounds=5,
    peer_periods=4,
    detections=10,
    peer_scan_interval=None,
    cost_counts=(1, 10, 100),
    window=45.0,
    settle=15.0,
)
QUICK = Profile(
    rtt_samples=5,
    command_rounds=1,
    peer_periods=1,
    detections=1,
    peer_scan_interval=2.0,
    cost_counts=(1, 2, 5),
    window=5.0,
    settle=2.0,
)


@dataclass(frozen=True)
class Hass:
    """One running Home Assistant: its process, the demo's folder, a websocket."""

    pid: int
    state_dir: Path
    socket: HassSocket


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


# The switch, the preset select and the no-signal sensor of each setup.
INTEGRATION = integration_entities(INTEGRATION_SIM)[:3]
PEER = (
    "switch.mediascribe_recording",
    "select.mediascribe_preset",
    "binary_sensor.mediascribe_no_signal",
)


@dataclass
class Results:
    """Everything measured; tools/bench/report.py turns it into the report."""

    machine: dict[str, Any]
    profile: dict[str, Any]
    rtt: dict[str, list[float]] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    polls: dict[str, dict[str, int]] = field(default_factory=dict)
    cost: list[dict[str, Any]] = field(default_factory=list)
    poll_profile: dict[str, Any] = field(default_factory=dict)
    memory: list[dict[str, Any]] = field(default_factory=list)
    setup: list[float] = field(default_factory=list)
    """Seconds per timed entry, the first one first."""


@dataclass
class Bench:
    """One run: the two Home Assistants, the simulators, and what is measured."""

    profile: Profile
    measured: Hass
    idle: Hass
    sims: Sequence[MediaScribeSimulator]
    session: Session
    results: Results
    entry_sims: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Name what the trials use most."""
        self.ws = self.measured.socket
        self.peer_interval = self.profile.peer_scan_interval or PEER_DEFAULT_INTERVAL

    async def run(self) -> None:
        """Measure everything, in an order that keeps the measurements apart."""
        up = [self.ws.expect(e, _available) for e in PEER]
        try:
            await asyncio.wait_for(asyncio.gather(*up), SETUP_TIMEOUT)
        except TimeoutError:
            raise cpu.BenchError("the RESTful entities did not come up") from None
        await self.cost_window()  # no entries on either side: the noise
        await self.add_integration_entry(INTEGRATION_SIM, timed=True)
        await self.steady()
        for latency in LATENCIES:
            self.set_latency(latency)
            self.results.rtt[f"{latency:g}"] = await self.measure_rtt(INTEGRATION_SIM)
            for _ in range(self.profile.command_rounds):
                for entity_id in INTEGRATION[:2] * 2:
                    # Off the poll grid, as a user's command would be.
                    await asyncio.sleep(random.uniform(0.05, 0.3))  # noqa: S311
                    await self.command(entity_id, SETUP_INTEGRATION, latency)
            for _ in range(self.profile.detections):
                # Shown means just polled: any phase of the next poll is as likely.
                await asyncio.sleep(random.uniform(0, INTEGRATION_INTERVAL))  # noqa: S311
                await self.detection(
                    INTEGRATION_SIM, INTEGRATION[2], SETUP_INTEGRATION, latency
                )
            for _ in range(self.profile.peer_periods):
                await self.peer_period(latency)
        self.set_latency(COST_LATENCY)
        await self.cost_scaling()
        await self.profile_polls()

    def set_latency(self, seconds: float) -> None:
        """Hold back every answer of the first three simulators by `seconds`."""
        for sim in self.sims[: IDLE_PEER_SIM + 1]:
            sim.clear_faults()
            sim.add_fault(Fault(latency=seconds))

    async def steady(self) -> None:
        """Wait until both Home Assistants have finished their setup work."""
        configs = [hass.state_dir / "config" for hass in (self.measured, self.idle)]
        await cpu.steady(configs, self.profile.settle)

    # -- 1. command to confirmed state, 2. a change on the server -----------------

    async def command(self, entity_id: str, setup: str, latency: float) -> None:
        """Send one command over the websocket; time it until the new state arrives."""
        state = self.ws.states[entity_id]
        if entity_id.startswith("switch."):
            expected = "off" if state.state == "on" else "on"
            service, data = f"turn_{expected}", {}
        else:
            options = list(state.attributes["options"])
            current = options.index(state.state) if state.state in options else -1
            expected = options[(current + 1) % len(options)]
            service, data = "select_option", {"option": expected}
        shown = self.ws.expect(entity_id, lambda new: new.state == expected)
        sent = time.monotonic()
        await self.ws.send(
            {
                "type": "call_service",
                "domain": entity_id.split(".")[0],
                "service": service,
                "target": {"entity_id": entity_id},
                "service_data": data,
            }
        )
        returned = time.monotonic()
        state = await asyncio.wait_for(shown, TRIAL_TIMEOUT + self.peer_interval)
        # The requests this command caused: those until its action returned.
        sim = self.sims[PEER_SIM if setup == SETUP_PEER else INTEGRATION_SIM]
        methods = [r.method for r in sim.requests if sent <= r.time <= returned]
        self.results.commands.append(
            {
                "setup": setup,
                "latency": latency,
                "seconds": state.received - sent,
                "requests": {
                    method: methods.count(method) for method in ("GET", "PUT")
                },
            }
        )

    async def peer_period(self, latency: float) -> None:
        """Run one poll period's trials of the RESTful setup, in random order.

        Whatever happens within one period is confirmed by the same next poll,
        so a period yields three samples.
        """
        # The last poll's state changes arrive before a command is chosen.
        await asyncio.sleep(EVENTS_SETTLE)
        trials: list[Callable[[], Awaitable[None]]] = [
            lambda: self.command(PEER[0], SETUP_PEER, latency),
            lambda: self.command(PEER[1], SETUP_PEER, latency),
            lambda: self.detection(PEER_SIM, PEER[2], SETUP_PEER, latency),
        ]
        random.shuffle(trials)
        poll = max(r.time for r in self.sims[PEER_SIM].requests if r.method == "GET")
        # One trial at a random phase in each third of a period after a poll.
        phases = [(third + random.random()) / 3 for third in range(3)]  # noqa: S311
        while poll + phases[0] * self.peer_interval < time.monotonic():
            poll += self.peer_interval
        await asyncio.gather(
            *(
                _at(poll + phase * self.peer_interval, trial)
                for phase, trial in zip(phases, trials, strict=True)
            )
        )

    async def detection(
        self, sim: int, entity_id: str, setup: str, latency: float
    ) -> None:
        """Toggle the no-signal flag on the server; time it until the state arrives."""
        signal_lost = self.ws.states[entity_id].state != "on"
        expected = "on" if signal_lost else "off"
        shown = self.ws.expect(entity_id, lambda new: new.state == expected)
        started = time.monotonic()
        self.sims[sim].has_no_signal = signal_lost
        state = await asyncio.wait_for(shown, TRIAL_TIMEOUT + self.peer_interval)
        self.results.detections.append(
            {"setup": setup, "latency": latency, "seconds": state.received - started}
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

    # -- 4. CPU, 5. a poll's profile, 6. memory and 7. setup ----------------------

    async def cost_scaling(self) -> None:
        """Add entries up to each count, then measure a steady window.

        Memory is traced only while the last step's entries are added: tracing
        slows Home Assistant, so no CPU window and no timed setup sees it.
        """
        counts = self.profile.cost_counts
        for count in counts:
            traced = count == counts[-1]
            if traced:
                self.results.memory.append(await self.traced_memory())
            while len(self.entry_sims) < count:
                sim = len(self.entry_sims) + IDLE_PEER_SIM  # entries 2.. on 3..
                await self.add_integration_entry(sim, timed=not traced)
                if traced:
                    self.results.memory.append(await self.traced_memory())
            if traced:
                os.kill(self.measured.pid, signal.SIGUSR2)
            await self.cost_window()

    async def add_integration_entry(self, sim: int, *, timed: bool) -> None:
        """Add an entry through the config flow; time it until its entities show."""
        shown = [self.ws.expect(e, _available) for e in integration_entities(sim)]
        started = time.monotonic()
        server = Server(self.sims[sim].url, TOKEN)
        await asyncio.to_thread(add_entry, self.session, server)
        states = await asyncio.wait_for(asyncio.gather(*shown), SETUP_TIMEOUT)
        self.entry_sims.append(sim)
        if timed:
            self.results.setup.append(max(s.received for s in states) - started)

    async def traced_memory(self) -> dict[str, Any]:
        """Return what Home Assistant's traced heap holds (the launcher's file)."""
        memory_file = self.measured.state_dir / "tracemalloc.json"
        memory_file.unlink(missing_ok=True)
        os.kill(self.measured.pid, signal.SIGUSR1)
        deadline = time.monotonic() + MEMORY_TIMEOUT
        while not memory_file.exists():
            if time.monotonic() > deadline:
                raise cpu.BenchError("Home Assistant wrote no tracemalloc figures")
            await asyncio.sleep(0.05)
        return {"entries": len(self.entry_sims), **json.loads(memory_file.read_text())}

    async def cost_window(self) -> None:
        """Once steady, measure both Home Assistants' CPU time over one window."""
        await self.steady()
        pids = {"measured": self.measured.pid, "idle": self.idle.pid}
        before = {name: cpu.cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        await asyncio.sleep(self.profile.window)
        after = {name: cpu.cpu_seconds(pid) for name, pid in pids.items()}
        ended = time.monotonic()
        self.results.cost.append(
            {
                "entries": len(self.entry_sims),
                "seconds": ended - started,
                "polls": self._count_polls(started, ended),
                **{
                    name: {part: after[name][part] - s for part, s in used.items()}
                    for name, used in before.items()
                },
            }
        )

    async def profile_polls(self) -> None:
        """Sample the measured Home Assistant's stacks with py-spy over one window."""
        await self.steady()
        duration = math.ceil(self.profile.window)
        started = time.monotonic()
        output = self.measured.state_dir / "py-spy.txt"
        raw = await cpu.record_profile(self.measured.pid, duration, output)
        ended = time.monotonic()
        self.results.poll_profile = {
            "entries": len(self.entry_sims),
            "duration": duration,
            "seconds": ended - started,
            "polls": self._count_polls(started, ended),
            **cpu.summarise_profile(raw),
        }

    def _count_polls(self, start: float, end: float) -> int:
        """Add both setups' requests in a window to the totals; return our polls."""
        ours = Counter(gets=0, other=0, polls=0)
        for sim in self.entry_sims:
            ours.update(self._polls(sim, start, end))
        for setup, seen in (
            (SETUP_INTEGRATION, ours),
            (SETUP_PEER, self._polls(PEER_SIM, start, end)),
        ):
            total = Counter(self.results.polls.get(setup, {}))
            total.update(seen)
            self.results.polls[setup] = dict(total)
        return ours["polls"]

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


def _available(state: State) -> bool:
    return state.state not in (None, "unavailable")


async def _at(when: float, trial: Callable[[], Awaitable[None]]) -> None:
    """Start `trial` at `when` (time.monotonic())."""
    await asyncio.sleep(max(0.0, when - time.monotonic()))
    await trial()
