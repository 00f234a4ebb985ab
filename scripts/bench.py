"""scripts/bench: the integration against the RESTful configuration it replaces.

One run starts the simulators (one process, one site per port), one Home
Assistant with both set up side by side -- this integration through its
config flow and docs/rest-alternative.yaml as a package -- and measures:
command to confirmed state, detection of a change on the server, requests,
CPU and memory against the number of entries, and setup time. Results go to
docs/PERFORMANCE.md and docs/performance.png (scripts/bench_report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
import json
import math
import os
from pathlib import Path
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp

from scripts.bench_report import write_report
from scripts.bench_simulators import TOKEN_VARIABLE, site_name
from scripts.bench_socket import HassSocket, StateChange
from scripts.demo import (
    HOST,
    REPO,
    Demo,
    DemoError,
    Server,
    Session,
    add_entry,
    free_port,
    onboard,
    spawn,
    stop_process,
    wait_until,
)
from simulator import STATUS_PATH

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
    from types import FrameType

TOKEN = "mediascribe-bench-token"  # noqa: S105 - a local benchmark's token
PEER_YAML = REPO / "docs" / "rest-alternative.yaml"
PEER_RESOURCE_LINE = "  - resource: !secret mediascribe_status_url\n"

# Simulator 0 serves the integration's first entry, 1 the RESTful
# configuration, 2 and up the further entries of the cost measurement.
INTEGRATION_SIM = 0
PEER_SIM = 1

INTEGRATION_INTERVAL = 5.0  # the integration's fixed poll interval
PEER_DEFAULT_INTERVAL = 30.0  # rest's default scan_interval
LATENCIES = (0.005, 0.100)
COST_LATENCY = 0.005
# Home Assistant runs a second refresh asked for within 10 s of the previous
# one only when those 10 s are over (the coordinator's debouncer).
REFRESH_COOLDOWN = 10.5
# Requests closer together than this belong to one poll.
POLL_CLUSTER_GAP = 1.0
# Low-discrepancy phases: any number of trials spreads evenly over a period.
GOLDEN = (math.sqrt(5) - 1) / 2
PHASE_MARGIN = 0.05
EVENTS_SETTLE = 0.5
TRIAL_TIMEOUT = 30.0
SETUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

SETUP_INTEGRATION = "integration"
SETUP_INTEGRATION_ACK = "integration, PUT answers 204"
SETUP_PEER = "RESTful"
SETUP_PEER_REFRESH = "RESTful + update_entity"

# The variant of the RESTful configuration whose user refreshes after each
# command (docs/rest-alternative.yaml describes it); it shares the rest
# resource and rest_commands of the committed file.
REFRESH_VARIANT_YAML = """\
template:
  - switch:
      - name: MediaScribe recording refresh
        unique_id: mediascribe_recording_switch_refresh
        state: "{{ is_state('binary_sensor.mediascribe_recording', 'on') }}"
        turn_on:
          - action: rest_command.mediascribe_start
          - action: homeassistant.update_entity
            target:
              entity_id: sensor.mediascribe_status
        turn_off:
          - action: rest_command.mediascribe_stop
          - action: homeassistant.update_entity
            target:
              entity_id: sensor.mediascribe_status
    select:
      - name: MediaScribe preset refresh
        unique_id: mediascribe_preset_refresh
        options: >-
          {{ (state_attr('sensor.mediascribe_status', 'presets') or [])
             | map(attribute='name') | list }}
        state: >-
          {{ (state_attr('sensor.mediascribe_status', 'presets') or [])
             | selectattr('id', 'eq',
                          state_attr('sensor.mediascribe_status', 'activePresetId'))
             | map(attribute='name') | first | default(none) }}
        select_option:
          - action: rest_command.mediascribe_set_preset
            data:
              preset_id: >-
                {{ state_attr('sensor.mediascribe_status', 'presets')
                   | selectattr('name', 'eq', option) | map(attribute='id') | first }}
          - action: homeassistant.update_entity
            target:
              entity_id: sensor.mediascribe_status
"""


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
    cost_counts=(1, 4),
    window=5.5,
    settle=1.0,
)


@dataclass(frozen=True)
class Entities:
    """The entities one setup is driven and read through."""

    switch: str
    select: str
    no_signal: str


def integration_entities(index: int) -> tuple[str, ...]:
    """Return the entity ids the integration creates for simulator `index`."""
    slug = site_name(index).lower().replace(" ", "_")
    return (
        f"switch.{slug}_recording",
        f"select.{slug}_preset",
        f"binary_sensor.{slug}_no_signal",
        f"sensor.{slug}_recording_started",
        f"sensor.{slug}_recording_file",
    )


INTEGRATION = Entities(*integration_entities(INTEGRATION_SIM)[:3])
PEER = Entities(
    "switch.mediascribe_recording",
    "select.mediascribe_preset",
    "binary_sensor.mediascribe_no_signal",
)
PEER_REFRESH = Entities(
    "switch.mediascribe_recording_refresh",
    "select.mediascribe_preset_refresh",
    PEER.no_signal,
)


@dataclass
class Results:
    """Everything measured; scripts/bench_report.py turns it into the report."""

    machine: dict[str, Any]
    profile: dict[str, Any]
    intervals: dict[str, float]
    rtt: dict[str, list[float]] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    polls: dict[str, dict[str, int]] = field(default_factory=dict)
    cost: list[dict[str, Any]] = field(default_factory=list)
    setup: list[dict[str, Any]] = field(default_factory=list)


class BenchDemo(Demo):
    """The demo's Home Assistant, with the RESTful configuration as a package."""

    def __init__(
        self,
        state_dir: Path,
        *,
        port: int,
        integration_url: str,
        peer_url: str,
        peer_scan_interval: float | None,
    ) -> None:
        """Point the integration at one simulator and the package at another."""
        super().__init__(state_dir, port=port, server=Server(integration_url, TOKEN))
        self.peer_url = peer_url
        self.peer_scan_interval = peer_scan_interval

    def write_config(self) -> None:
        """Add the packages and their secrets to the demo's configuration."""
        super().write_config()
        configuration = self.config_dir / "configuration.yaml"
        text = configuration.read_text(encoding="utf-8")
        marker = "homeassistant:\n"
        if marker not in text:
            raise DemoError("the demo's configuration.yaml has no homeassistant:")
        configuration.write_text(
            text.replace(
                marker, f"{marker}  packages: !include_dir_named packages\n", 1
            ),
            encoding="utf-8",
        )
        packages = self.config_dir / "packages"
        packages.mkdir(exist_ok=True)
        (packages / "rest_alternative.yaml").write_text(
            peer_yaml(self.peer_scan_interval), encoding="utf-8"
        )
        (packages / "rest_alternative_refresh.yaml").write_text(
            REFRESH_VARIANT_YAML, encoding="utf-8"
        )
        (self.config_dir / "secrets.yaml").write_text(
            f"mediascribe_status_url: {self.peer_url}{STATUS_PATH}\n"
            f'mediascribe_authorization: "Bearer {TOKEN}"\n',
            encoding="utf-8",
        )


def peer_yaml(scan_interval: float | None) -> str:
    """Return docs/rest-alternative.yaml, with a scan_interval if one is given."""
    text = PEER_YAML.read_text(encoding="utf-8")
    if scan_interval is None:
        return text
    if text.count(PEER_RESOURCE_LINE) != 1:
        raise BenchError(f"{PEER_YAML.name} has no single {PEER_RESOURCE_LINE!r}")
    return text.replace(
        PEER_RESOURCE_LINE,
        f"{PEER_RESOURCE_LINE}    scan_interval: {scan_interval:g}\n",
    )


class Simulators:
    """The simulators process, through each simulator's control endpoint."""

    def __init__(self, session: aiohttp.ClientSession, first_port: int) -> None:
        """Address simulator i at first_port + i."""
        self._session = session
        self._first_port = first_port

    def url(self, index: int) -> str:
        """Return the base URL of simulator `index`."""
        return f"http://{HOST}:{self._first_port + index}"

    async def control(
        self, index: int, method: str, path: str, body: object = None
    ) -> Any:
        """Call a simulator's control endpoint."""
        async with self._session.request(
            method, f"{self.url(index)}/_simulator/{path}", json=body
        ) as response:
            response.raise_for_status()
            return None if response.status == 204 else await response.json()  # noqa: PLR2004 - No Content

    async def set_latency(self, indexes: Iterable[int], seconds: float) -> None:
        """Replace the faults of these simulators by a latency."""
        for index in indexes:
            await self.control(index, "DELETE", "faults")
            if seconds:
                await self.control(index, "POST", "faults", {"latency": seconds})

    async def requests(self, index: int) -> list[dict[str, Any]]:
        """Return the request log of simulator `index`."""
        log: list[dict[str, Any]] = (await self.control(index, "GET", "requests"))[
            "requests"
        ]
        return log


class Bench:
    """One run: Home Assistant, the simulators, and what is measured."""

    def __init__(
        self,
        profile: Profile,
        *,
        http: aiohttp.ClientSession,
        socket: HassSocket,
        sims: Simulators,
        session: Session,
        hass_pid: int,
        results: Results,
    ) -> None:
        """Keep the connections a run measures through."""
        self.profile = profile
        self.http = http
        self.ws = socket
        self.sims = sims
        self.session = session
        self.hass_pid = hass_pid
        self.results = results
        self.peer_interval = profile.peer_scan_interval or PEER_DEFAULT_INTERVAL
        self.entries = 0
        self._last_refresh = -math.inf

    # -- the run ----------------------------------------------------------------

    async def run(self) -> None:
        """Measure everything, in an order that keeps the measurements apart."""
        await self._wait_for_peer()
        await asyncio.sleep(self.profile.settle)
        baseline = await self.cost_window()
        self.results.cost.append(baseline)
        await self.add_integration_entry(INTEGRATION_SIM)
        for latency in LATENCIES:
            await self.sims.set_latency((INTEGRATION_SIM, PEER_SIM), latency)
            self.results.rtt[f"{latency:g}"] = await self.measure_rtt(INTEGRATION_SIM)
            await self.integration_commands(latency)
            await self.peer_trials(latency)
        await self.sims.set_latency((INTEGRATION_SIM, PEER_SIM), COST_LATENCY)
        await self.count_command_requests()
        await self.cost_scaling()

    async def _wait_for_peer(self) -> None:
        entities = (PEER.switch, PEER.select, PEER.no_signal, PEER_REFRESH.switch)

        def ready() -> bool:
            return all(self.ws.state(e) not in (None, "unavailable") for e in entities)

        deadline = time.monotonic() + SETUP_TIMEOUT
        while not ready():
            if time.monotonic() > deadline:
                states = {e: self.ws.state(e) for e in entities}
                raise BenchError(f"the RESTful entities did not come up: {states}")
            await asyncio.sleep(0.2)

    # -- 1. command to confirmed state -----------------------------------------

    async def integration_commands(self, latency: float) -> None:
        """Time the integration's commands, with both kinds of PUT answer."""
        for setup, put_response in (
            (SETUP_INTEGRATION, "status"),
            (SETUP_INTEGRATION_ACK, "empty"),
        ):
            await self.sims.control(
                INTEGRATION_SIM, "PATCH", "state", {"put_response": put_response}
            )
            for _ in range(self.profile.command_rounds):
                for kind in ("switch", "select", "switch", "select"):
                    # Off the poll grid, as a user's command would be.
                    await asyncio.sleep(random.uniform(0.05, 0.3))  # noqa: S311
                    await self.command(
                        INTEGRATION, kind, setup, latency, INTEGRATION_SIM
                    )
        await self.sims.control(
            INTEGRATION_SIM, "PATCH", "state", {"put_response": "status"}
        )

    async def command(
        self, entities: Entities, kind: str, setup: str, latency: float, sim: int
    ) -> StateChange:
        """Send one command; record when the server's new state shows."""
        entity_id = entities.switch if kind == "switch" else entities.select
        action, data, expected = self._next_command(entity_id, kind)
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
        self.results.commands.append(
            {
                "setup": setup,
                "latency": latency,
                "action": action,
                "seconds": change.fired - started_wall,
                "sim": sim,
                # The requests this command caused: those until its action returned.
                "window": [started, returned_at],
            }
        )
        return change

    def _next_command(
        self, entity_id: str, kind: str
    ) -> tuple[str, dict[str, str], str]:
        change = self.ws.states.get(entity_id)
        if change is None:
            raise BenchError(f"{entity_id} has no state")
        if kind == "switch":
            if change.state == "on":
                return "switch.turn_off", {}, "off"
            return "switch.turn_on", {}, "on"
        options: list[str] = list(change.attributes.get("options", []))
        if len(options) < 2:  # noqa: PLR2004 - a change needs two options
            raise BenchError(f"{entity_id} has too few options: {options}")
        current = options.index(change.state) if change.state in options else -1
        option = options[(current + 1) % len(options)]
        return "select.select_option", {"option": option}, option

    # -- 1 and 2 for the RESTful setup, at random phases of its poll ------------

    async def peer_trials(self, latency: float) -> None:
        """Per poll period: a switch and a select command and a server change.

        Whatever happens within one period is confirmed by the same next poll,
        so a period yields three samples; the integration's detection trials
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
        # A refresh asked for sooner would wait for the debouncer: measured
        # would be the wait, not the configuration. The pause also lets the
        # last poll's state changes of every entity arrive before the next
        # command is chosen from them.
        await asyncio.sleep(
            max(EVENTS_SETTLE, self._last_refresh + REFRESH_COOLDOWN - time.monotonic())
        )
        kind = "switch" if period % 2 == 0 else "select"
        await self.command(PEER_REFRESH, kind, SETUP_PEER_REFRESH, latency, PEER_SIM)
        self._last_refresh = time.monotonic()
        # The poll that refresh made is the period's start; the rest
        # coordinator polls every interval from it.
        base = await self.last_poll(PEER_SIM)
        trials: list[tuple[float, Callable[[], Awaitable[object]]]] = [
            (
                0.1,
                lambda: self.command(PEER, "switch", SETUP_PEER, latency, PEER_SIM),
            ),
            (
                0.43,
                lambda: self.command(PEER, "select", SETUP_PEER, latency, PEER_SIM),
            ),
            (
                0.77,
                lambda: self.detection(PEER_SIM, PEER.no_signal, SETUP_PEER, latency),
            ),
        ]
        trials.sort(key=lambda t: _phase(period * GOLDEN + t[0]))
        first = _phase(period * GOLDEN + trials[0][0]) * self.peer_interval
        while base + first < time.monotonic():
            base += self.peer_interval
        tasks = []
        for offset, trial in trials:
            at = base + _phase(period * GOLDEN + offset) * self.peer_interval
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            tasks.append(asyncio.ensure_future(trial()))
        await asyncio.gather(*tasks)

    async def last_poll(self, sim: int) -> float:
        """Return the time of the simulator's latest GET (time.monotonic())."""
        gets = [
            r["time"] for r in await self.sims.requests(sim) if r["method"] == "GET"
        ]
        return max(gets, default=time.monotonic())

    # -- 2. a change on the server ------------------------------------------------

    async def integration_detections(
        self, latency: float, enough: asyncio.Event
    ) -> None:
        """Change the integration's server at spread phases until cancelled.

        `enough` is set once the profile's least number of trials is done.
        """
        base = time.monotonic()
        for trial in range(sys.maxsize):
            at = base + _phase(trial * GOLDEN) * INTEGRATION_INTERVAL
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            change = await self.detection(
                INTEGRATION_SIM, INTEGRATION.no_signal, SETUP_INTEGRATION, latency
            )
            base = change.received
            if trial + 1 >= self.profile.min_detections:
                enough.set()

    async def detection(
        self, sim: int, entity_id: str, setup: str, latency: float
    ) -> StateChange:
        """Toggle the no-signal flag on the server; record when it shows."""
        signal_lost = self.ws.state(entity_id) != "on"
        expected = "on" if signal_lost else "off"
        started = time.time()
        shown = self.ws.expect(
            entity_id,
            lambda change: change.state == expected and change.fired >= started,
        )
        await self.sims.control(sim, "PATCH", "state", {"has_no_signal": signal_lost})
        change = await asyncio.wait_for(shown, TRIAL_TIMEOUT + self.peer_interval)
        self.results.detections.append(
            {"setup": setup, "latency": latency, "seconds": change.fired - started}
        )
        return change

    # -- RTT --------------------------------------------------------------------

    async def measure_rtt(self, sim: int) -> list[float]:
        """Time GETs of the status from here, on one kept-alive connection."""
        url = f"{self.sims.url(sim)}{STATUS_PATH}"
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

    # -- 3. requests --------------------------------------------------------------

    async def count_command_requests(self) -> None:
        """Attribute to each command the requests its server saw meanwhile."""
        logs = {
            sim: await self.sims.requests(sim) for sim in (INTEGRATION_SIM, PEER_SIM)
        }
        for command in self.results.commands:
            start, end = command["window"]
            seen = [r for r in logs[command["sim"]] if start <= r["time"] <= end]
            command["requests"] = _count_methods(seen)

    # -- 4. cost and 5. setup -------------------------------------------------------

    async def cost_scaling(self) -> None:
        """Add entries up to each count, then measure a quiet window."""
        for count in self.profile.cost_counts:
            while self.entries < count:
                # Simulator 1 is the RESTful setup's: entries 2.. use 2..
                await self.add_integration_entry(self.entries + 1)
            await asyncio.sleep(self.profile.settle)
            self.results.cost.append(await self.cost_window())

    async def add_integration_entry(self, sim: int) -> None:
        """Add an entry through the config flow; time it until its entities show."""
        shown = [
            self.ws.expect(e, lambda c: c.state not in (None, "unavailable"))
            for e in integration_entities(sim)
        ]
        started = time.time()
        await asyncio.to_thread(
            add_entry, self.session, Server(self.sims.url(sim), TOKEN)
        )
        changes = await asyncio.wait_for(asyncio.gather(*shown), SETUP_TIMEOUT)
        self.results.setup.append(
            {
                "entries_before": self.entries,
                "seconds": max(c.fired for c in changes) - started,
                "rss": read_rss(self.hass_pid),
            }
        )
        self.entries += 1

    def integration_sims(self) -> list[int]:
        """Return the simulators the integration's entries poll."""
        return [INTEGRATION_SIM, *range(2, self.entries + 1)][: self.entries]

    async def cost_window(self) -> dict[str, Any]:
        """Measure Home Assistant's CPU time, memory and polls over one window."""
        before = read_cpu(self.hass_pid)
        started = time.monotonic()
        await asyncio.sleep(self.profile.window)
        after = read_cpu(self.hass_pid)
        ended = time.monotonic()
        window = {
            "entries": self.entries,
            "seconds": ended - started,
            "process_cpu": after[0] - before[0],
            "loop_cpu": after[1] - before[1],
            "rss": read_rss(self.hass_pid),
        }
        integration = [0, 0, 0]
        for sim in self.integration_sims():
            _add(integration, await self._polls(sim, started, ended))
        peer = await self._polls(PEER_SIM, started, ended)
        window["polls"] = integration[2]
        window["gets"] = integration[0]
        for setup, (gets, other, polls) in (
            (SETUP_INTEGRATION, integration),
            (SETUP_PEER, peer),
        ):
            totals = self.results.polls.setdefault(
                setup, {"gets": 0, "other": 0, "polls": 0}
            )
            _add_dict(totals, {"gets": gets, "other": other, "polls": polls})
        return window

    async def _polls(self, sim: int, start: float, end: float) -> list[int]:
        """Return [GETs, other requests, polls] the simulator saw in a window."""
        seen = [r for r in await self.sims.requests(sim) if start <= r["time"] <= end]
        gets = sorted(r["time"] for r in seen if r["method"] == "GET")
        polls = sum(
            1
            for i, at in enumerate(gets)
            if i == 0 or at - gets[i - 1] > POLL_CLUSTER_GAP
        )
        return [len(gets), len(seen) - len(gets), polls]


async def _time_of(future: Awaitable[object]) -> float:
    await future
    return time.monotonic()


def _phase(value: float) -> float:
    """Map a number to a phase in the period, away from the poll itself."""
    return PHASE_MARGIN + (1 - 2 * PHASE_MARGIN) * (value % 1.0)


def _count_methods(requests: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {"GET": 0, "PUT": 0}
    for request in requests:
        counts[request["method"]] = counts.get(request["method"], 0) + 1
    return counts


def _add(total: list[int], more: Sequence[int]) -> None:
    for i, value in enumerate(more):
        total[i] += value


def _add_dict(total: dict[str, int], more: Mapping[str, int]) -> None:
    for key, value in more.items():
        total[key] += value


def read_cpu(pid: int) -> tuple[float, float]:
    """Return (process CPU seconds, event-loop thread CPU seconds) of `pid`.

    The process figure is utime + stime of /proc/<pid>/stat (all threads,
    10 ms ticks); the event loop runs in the main thread, whose schedstat
    counts nanoseconds.
    """
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat.rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    # Fields 14 and 15 of stat(5); the split starts at field 3.
    process = (int(fields[11]) + int(fields[12])) / ticks
    loop_ns = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text(encoding="ascii")
    return process, int(loop_ns.split()[0]) / 1e9


def read_rss(pid: int) -> int:
    """Return the resident set size of `pid` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for process {pid}")


def machine() -> dict[str, Any]:
    """Describe the machine and software the numbers were taken on."""
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    memory = 0
    with contextlib.suppress(OSError):
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
        memory = int(meminfo[0].split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def start_simulators(state_dir: Path, count: int) -> tuple[Any, int]:
    """Start the simulators process; return it and its first port."""
    ready = state_dir / "simulators.json"
    process = spawn(
        [
            sys.executable,
            "-m",
            "scripts.bench_simulators",
            "--count",
            str(count),
            "--latency",
            f"{COST_LATENCY}",
            "--ready-file",
            str(ready),
        ],
        state_dir / "simulators.out",
        env={TOKEN_VARIABLE: TOKEN},
    )
    try:
        wait_until(
            ready.exists,
            what="the simulators",
            timeout=60.0,
            process=process,
            log=state_dir / "simulators.out",
        )
    except BaseException:
        stop_process(process)
        raise
    first_port: int = json.loads(ready.read_text(encoding="utf-8"))["first_port"]
    return process, first_port


async def measure(
    profile: Profile, demo: BenchDemo, session: Session, first_port: int
) -> Results:
    """Connect to Home Assistant and the simulators and run every measurement."""
    results = Results(
        machine=machine(),
        profile=asdict(profile),
        intervals={
            SETUP_INTEGRATION: INTEGRATION_INTERVAL,
            SETUP_PEER: profile.peer_scan_interval or PEER_DEFAULT_INTERVAL,
        },
    )
    if demo.hass is None:
        raise BenchError("Home Assistant is not running")
    async with aiohttp.ClientSession() as http:
        socket = HassSocket(http, demo.url, session.access_token)
        await socket.connect()
        try:
            bench = Bench(
                profile,
                http=http,
                socket=socket,
                sims=Simulators(http, first_port),
                session=session,
                hass_pid=demo.hass.pid,
                results=results,
            )
            await bench.run()
        finally:
            await socket.close()
    return results


def run(profile: Profile, state_dir: Path) -> Results:
    """Start everything, measure, and stop everything again."""
    say("starting the simulators")
    simulators, first_port = start_simulators(state_dir, max(profile.cost_counts) + 1)
    demo = BenchDemo(
        state_dir,
        port=free_port(),
        integration_url=f"http://{HOST}:{first_port + INTEGRATION_SIM}",
        peer_url=f"http://{HOST}:{first_port + PEER_SIM}",
        peer_scan_interval=profile.peer_scan_interval,
    )
    session: Session | None = None
    try:
        say(f"starting Home Assistant; its log: {demo.hass_log}")
        demo.start_hass()
        session, _ = onboard(demo.url, demo.credentials)
        say("measuring")
        return asyncio.run(measure(profile, demo, session, first_port))
    finally:
        if session is not None:
            with contextlib.suppress(OSError, DemoError):
                session.revoke()
        demo.stop()
        stop_process(simulators, STOP_TIMEOUT)


def say(message: str) -> None:
    """Tell the user what the bench is doing."""
    print(f"scripts/bench: {message}", flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Describe and read the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=(
            "Measure the MediaScribe integration against the RESTful configuration"
            " in docs/rest-alternative.yaml, in one Home Assistant, and write"
            " PERFORMANCE.md and performance.png."
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="token trial counts and a 2 s RESTful scan_interval (a smoke run)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "docs",
        help="where PERFORMANCE.md and performance.png go (default: docs/)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="also keep the raw measurements as JSON here",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="RESULTS_JSON",
        help="only write the report from measurements kept with --results",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep Home Assistant's configuration and logs (the path is printed)",
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and return its exit status."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.report_only is not None:
        results = json.loads(args.report_only.read_text(encoding="utf-8"))
    else:
        profile = QUICK if args.quick else FULL
        state_dir = Path(tempfile.mkdtemp(prefix="mediascribe-bench-"))
        started = time.monotonic()
        try:
            results = asdict(run(profile, state_dir))
        except (BenchError, DemoError, OSError, TimeoutError) as err:
            print(f"scripts/bench: {err}; logs in {state_dir}", file=sys.stderr)
            return 1
        say(f"measured in {time.monotonic() - started:.0f} s")
        if args.keep:
            say(f"kept {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)
        if args.results is not None:
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps(results, indent=1), encoding="utf-8")
    args.output.mkdir(parents=True, exist_ok=True)
    for path in write_report(results, args.output):
        say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
