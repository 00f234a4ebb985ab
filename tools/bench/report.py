"""Turn the bench's measurements into docs/PERFORMANCE.md and its plot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
import statistics
from typing import TYPE_CHECKING, Any

from tools.bench.cpu import CLOCK_TICK
from tools.bench.measure import (
    INTEGRATION_INTERVAL,
    PEER_DEFAULT_INTERVAL,
    SETUP_INTEGRATION as INTEGRATION,
    SETUP_PEER as PEER,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

SETUPS = (INTEGRATION, PEER)
OWN_CODE = "custom_components.mediascribe"

# Command to confirmed state, in round trips, per added latency.
COMMAND_RTT_TARGETS = {0.005: 1.6, 0.1: 1.1}
PEER_SPEEDUP_TARGET = 10.0
CORE_SHARE_TARGET = 0.02
MS = 1000.0
KIB = 1024
MINUTE = 60.0


def _spread(samples: Sequence[float]) -> tuple[int, str, str]:
    """Return n, the median and the 10th to 90th percentile, as table cells."""
    deciles = statistics.quantiles(samples, n=10, method="inclusive")
    low, high = _duration(deciles[0]), _duration(deciles[-1])
    return len(samples), _duration(statistics.median(samples)), f"{low} - {high}"


@dataclass(frozen=True)
class CostRow:
    """One CPU window: the measured Home Assistant less the idle one."""

    entries: int
    polls: int
    seconds: float
    idle: Mapping[str, float]
    measured: Mapping[str, float]
    """CPU seconds per part: the event loop's thread, the whole process."""

    def share(self, part: str) -> float:
        """Return the integration's share of one core."""
        return (self.measured[part] - self.idle[part]) / self.seconds

    def cells(self, part: str) -> tuple[str, str]:
        """Return the integration's share of one core and CPU time per poll."""
        extra = self.share(part) * self.seconds
        per_poll = f"{extra / self.polls * MS:.2f} ms" if self.polls else "-"
        return f"{self.share(part):.2%}", per_poll


class Summary:
    """The figures the report prints, computed once from the measurements."""

    def __init__(self, results: Mapping[str, Any]) -> None:
        """Group and reduce the raw measurements."""
        self.results = results
        self.peer_interval: float = (
            results["profile"]["peer_scan_interval"] or PEER_DEFAULT_INTERVAL
        )
        self.latencies = sorted(float(k) for k in results["rtt"])
        self.rtt: dict[float, float] = {
            x: statistics.median(results["rtt"][f"{x:g}"]) for x in self.latencies
        }
        self.commands = _grouped(results["commands"])
        self.detections = _grouped(results["detections"])
        self.cost = [CostRow(**window) for window in results["cost"]]
        self.memory: list[dict[str, Any]] = results["memory"]

    def command(self, setup: str, latency: float) -> float:
        """Return the median of one setup's command times at one latency."""
        return statistics.median(self.commands[setup, latency])

    def most_requests(self, setup: str) -> dict[str, int]:
        """Return the most requests of each method one command of `setup` caused."""
        commands = [c for c in self.results["commands"] if c["setup"] == setup]
        return {m: max(c["requests"][m] for c in commands) for m in ("PUT", "GET")}

    def memory_per_entry(self) -> tuple[float, float]:
        """Return the traced heap's and the integration's own growth per entry."""
        entries = [m["entries"] for m in self.memory]
        fit = statistics.linear_regression(entries, [m["traced"] for m in self.memory])
        first, last = self.memory[0], self.memory[-1]
        grown = last["packages"].get(OWN_CODE, 0) - first["packages"].get(OWN_CODE, 0)
        return fit.slope, grown / (last["entries"] - first["entries"])


def _grouped(trials: Sequence[Any]) -> dict[tuple[str, float], list[float]]:
    grouped: dict[tuple[str, float], list[float]] = defaultdict(list)
    for trial in trials:
        grouped[trial["setup"], trial["latency"]].append(trial["seconds"])
    return grouped


# -- targets ----------------------------------------------------------------------


def targets(summary: Summary) -> Iterator[tuple[str, str, bool, str]]:
    """Judge every target against the measurements: name, measured, met, why."""
    for latency in summary.latencies:
        goal = COMMAND_RTT_TARGETS.get(latency, 1.0)
        multiple = summary.command(INTEGRATION, latency) / summary.rtt[latency]
        yield (
            f"Command to confirmed state at {_ms(latency)} <= {goal:g}x RTT",
            f"{multiple:.2f}x",
            multiple <= goal,
            "one round trip (the PUT's answer is the new state) plus Home"
            " Assistant's own work for the action, the state and its event",
        )
    ratios = {
        latency: summary.command(PEER, latency) / summary.command(INTEGRATION, latency)
        for latency in summary.latencies
    }
    yield (
        f"At least {PEER_SPEEDUP_TARGET:g}x faster than the RESTful configuration"
        f" (scan_interval {summary.peer_interval:g} s)",
        ", ".join(f"{r:.0f}x at {_ms(x)}" for x, r in ratios.items()),
        min(ratios.values()) >= PEER_SPEEDUP_TARGET,
        "the integration takes the state from the command's answer; the RESTful"
        " entities wait for the next poll",
    )
    polls = summary.results["polls"][INTEGRATION]
    yield (
        "Exactly one GET per poll for all of an entry's entities",
        f"{polls['gets'] / max(polls['polls'], 1):.2f} GET per poll ({polls['gets']}"
        f" GETs, {polls['polls']} polls, {polls['other']} other requests)",
        polls["gets"] == polls["polls"] and polls["other"] == 0,
        "one coordinator per entry reads the status once for all its entities",
    )
    most = summary.most_requests(INTEGRATION)
    yield (
        "At most one PUT and one GET per command",
        f"at most {most['PUT']} PUT and {most['GET']} GET",
        most["PUT"] <= 1 and most["GET"] <= 1,
        "the PUT's answer is the new state; a GET only when it carries none",
    )
    largest = summary.cost[-1]
    (share, per_poll), (loop, loop_per_poll) = map(largest.cells, ("process", "loop"))
    yield (
        f"{largest.entries} entries at a 5 s interval use under"
        f" {CORE_SHARE_TARGET:.0%} of one core",
        f"{share} of one core, {per_poll} per poll (event loop thread: {loop},"
        f" {loop_per_poll})",
        largest.share("process") < CORE_SHARE_TARGET,
        "the measured Home Assistant's process less the idle one's (section 4)",
    )


# -- markdown ---------------------------------------------------------------------


def render(summary: Summary) -> str:
    """Return PERFORMANCE.md."""
    results, profile = summary.results, summary.results["profile"]
    machine = results["machine"]
    run = (
        "`scripts/bench --quick`, a smoke run (token trial counts, short windows and"
        " settling, a 2 s RESTful scan_interval) whose numbers are not for"
        " conclusions"
        if profile["peer_scan_interval"] is not None
        else "`scripts/bench`"
    )
    verdicts = [
        (name, measured, "met" if met else "**missed**", why)
        for name, measured, met, why in targets(summary)
    ]
    commands = [
        (
            _ms(x),
            _duration(rtt),
            setup,
            *_spread(summary.commands[setup, x]),
            f"{summary.command(setup, x) / rtt:.2f}",
        )
        for x, rtt in summary.rtt.items()
        for setup in SETUPS
    ]
    intervals = {INTEGRATION: INTEGRATION_INTERVAL, PEER: summary.peer_interval}
    detections = [
        (setup, f"{intervals[setup]:g} s", _ms(x), *_spread(d))
        for setup in SETUPS
        for x in summary.latencies
        if (d := summary.detections.get((setup, x)))
    ]
    cost = [
        (
            row.entries,
            f"{row.polls / row.seconds * MINUTE:.0f}",
            f"{row.idle['loop'] / row.seconds:.2%}",
            *row.cells("loop"),
            f"{row.idle['process'] / row.seconds:.2%}",
            *row.cells("process"),
        )
        for row in summary.cost
    ]
    heap, own = summary.memory_per_entry()
    setup = results["setup"]
    setup_times = [
        ("first (loads the integration)", *_spread(setup[:1])),
        ("further entries", *_spread(setup[1:])),
    ]
    return f"""\
# Performance

The MediaScribe integration against what a user would build without it: the
RESTful configuration in [rest-alternative.yaml](rest-alternative.yaml) (`rest`
resource, `rest_command` PUTs, `template` switch and select). Two Home
Assistants (the demo's, `tools/demo/`) run side by side with that file in the
same configuration: the *measured* one, which also gets the integration's
entries through the config flow's REST API, and an *idle* one, which gets none.
Each setup talks to its own simulated MediaScribe server (`simulator/`, in the
bench's process) whose answers are held back by an added latency. Times are
taken as a websocket client sees them, CPU as the measured Home Assistant's
less the idle one's over the same window once both are steady. A shared
machine is noisy, so the tables give ratios to the round-trip time (RTT), to
the other setup and to the idle Home Assistant, not absolute times alone.

Written by {run}; run it again to regenerate this file and
[performance.png](performance.png).

Measured on {machine["date"]}: {machine["cores"]} cores
({machine["cpu"]}), {machine["memory"] / KIB**3:.0f} GiB, Linux
{machine["kernel"]}, Python {machine["python"]}, Home Assistant
{machine["home_assistant"]}.

![Command to confirmed state of both setups at both latencies](performance.png)

## Targets

{_table("Target | Measured | Met | Why", verdicts)}

## 1. Command to confirmed state

From sending `call_service` (`switch.turn_on`, `switch.turn_off`,
`select.select_option`) on the bench's websocket connection until the
`state_changed` event with the state the server confirmed arrives on it, once
both Home Assistants are steady (see 4). The RTT is the median of GETs of the
status from the bench process on a kept-alive connection, with the same added
latency. The simulator answers a PUT with the new status, so a confirmed state
needs one round trip.

{_table("Added latency | RTT | Setup | n | Median | p10 - p90 | x RTT", commands)}

The RESTful entities show a command's result with the next poll, every
{summary.peer_interval:g} s; the bench sends their commands at a random phase
in each third of the poll period. A user who minds the delay can add
`homeassistant.update_entity` after each command (see rest-alternative.yaml):
a second request and a second round trip.

## 2. A change on the server

The simulator's no-signal flag is toggled at random phases of each setup's
poll period (nothing in Home Assistant is told), until the binary sensor's new
state arrives on the websocket.

{_table("Setup | Poll interval | Added latency | n | Median | p10 - p90", detections)}

## 3. Requests

From the simulators' request logs. Per poll: the GETs in the CPU and profile
windows over the number of polls (requests less than 1 s apart are one poll).
Per command: the requests from the action's call until it returned; the
RESTful entities then take the new state from the next poll's GET.

{_table("Setup | Requests per poll | Per command, at most", _requests(summary))}

## 4. CPU against the number of entries

Steady state only: a window opens once every entry's entities have a state and
neither Home Assistant has saved its storage (`.storage/`, where registries and
config entries are saved 10 s after their last change) for
{profile["settle"]:g} s. Over the same {profile["window"]:g} s the bench reads the
kernel's counters of both (user + system time, in {CLOCK_TICK * MS:g} ms ticks):
`/proc/<pid>/task/<pid>/stat` of the main thread, which runs the event loop and
all of the integration's code, and `/proc/<pid>/stat` of the whole process. The
integration's share is the measured one's less the idle one's; per poll
divides it by the polls the simulators answered in the window. With no entries
the difference is the noise between two identical Home Assistants.

{_table(COST_HEADER, cost)}

{_profile_section(summary)}

## 6. Memory per entry

{heap / KIB:.1f} KiB of Python's heap per entry, {own / KIB:.1f} KiB of it
allocated by the integration's own code (`custom_components/mediascribe`), the
rest by Home Assistant and the libraries it uses on the entry's behalf. From
`tracemalloc`: when the bench asks (SIGUSR1), Home Assistant's launcher
(`tools/demo/launcher.py`) starts tracing, collects garbage and reports what
the traced blocks hold, once before entry {summary.memory[0]["entries"] + 1} is
added, then after every entry up to entry {summary.memory[-1]["entries"]}; per
entry is the slope of a line fitted to those samples. Tracing slows every
allocation, so it is off during the CPU windows, the profile and the timed
setups.

## 7. Setup

From starting the config flow (which reads the server once to check the address
and token) until the new entry's switch, preset select, video signal sensor and
both recording sensors have arrived on the websocket with a state other than
unavailable.

{_table("Entry | n | Median | p10 - p90", setup_times)}
"""


COST_HEADER = (
    "Entries | Polls/min | Idle: loop | Integration: loop | per poll"
    " | Idle: process | Integration: process | per poll"
)


def _profile_section(summary: Summary) -> str:
    """Return section 5: where a poll's time goes, from py-spy's samples."""
    poll = summary.results["poll_profile"]
    samples, busy = poll["samples"], poll["busy"]
    # A share of the samples is that share of the time between two polls.
    between_polls = poll["seconds"] / max(poll["polls"], 1) * MS

    def row(name: str, total: int, own: int) -> tuple[str, ...]:
        function, _, where = name.rpartition(" (")
        per_poll = total / samples * between_polls
        return (
            f"`{function or name}` ({where.removesuffix(')')})",
            f"{total / busy:.0%}",
            f"{own / busy:.0%}",
            f"{per_poll:.3f} ms",
        )

    header = "Function (file) | Total | Self | Total per poll"
    loop, loop_per_poll = summary.cost[-1].cells("loop")
    return f"""\
## 5. Where a poll's time goes

[py-spy](https://github.com/benfred/py-spy) read the measured Home Assistant's
stacks {samples / poll["duration"]:.0f} times a second for {poll["duration"]} s of
steady state with {poll["entries"]} entries, without stopping it
(`--nonblocking`: stopping it for every sample costs it more CPU than its polls
do). The main thread was busy (not waiting in epoll) in {busy} of {samples}
samples: {busy / samples:.2%} of the time, {busy / samples * between_polls:.2f} ms
per poll, Home Assistant's own work included; the kernel's counters gave the
integration {loop} of a core, {loop_per_poll} per poll (section 4). Frames up to
the callback the event loop runs are left out; a function's total counts the
busy samples it was on the stack for, its self those it was running in.

{_table(header, [row(*f) for f in poll["functions"]])}

The same samples by where the code was running:

{_table(header, [row(name, own, own) for name, own in poll["self"]])}"""


def _requests(summary: Summary) -> Iterator[tuple[object, ...]]:
    for setup in SETUPS:
        poll, most = summary.results["polls"][setup], summary.most_requests(setup)
        yield (
            setup,
            f"{poll['gets'] / max(poll['polls'], 1):.2f} GET ({poll['gets']} GETs in"
            f" {poll['polls']} polls)",
            f"{most['PUT']} PUT + {most['GET']} GET",
        )


def _table(header: str, rows: Iterable[Sequence[object]]) -> str:
    """Return a Markdown table; `header` separates the column names with |."""
    lines = [f"| {header} |", f"|{' --- |' * (header.count('|') + 1)}"]
    lines += (f"| {' | '.join(map(str, row))} |" for row in rows)
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * MS:g} ms"


def _duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if abs(seconds) >= 1 else f"{seconds * MS:.1f} ms"


# -- plot -------------------------------------------------------------------------


def plot(summary: Summary, path: Path) -> None:
    """Draw the command times of both setups at each latency, with the RTTs."""
    import matplotlib as mpl  # noqa: PLC0415 - heavy, only here

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(9, 5.5))
    trials = [(setup, latency) for latency in summary.latencies for setup in SETUPS]
    axes.boxplot(
        [[x * MS for x in summary.commands[trial]] for trial in trials],
        tick_labels=[f"{setup}\n+{_ms(latency)} latency" for setup, latency in trials],
    )
    for latency in summary.latencies:
        rtt = summary.rtt[latency] * MS
        axes.axhline(rtt, color="green", linestyle=":", label=f"RTT {rtt:.1f} ms")
    axes.set_yscale("log")
    axes.set_ylabel("command to confirmed state (ms, log scale)")
    axes.set_title(f"The RESTful entities poll every {summary.peer_interval:g} s")
    axes.legend(loc="center left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(results: Mapping[str, Any], output: Path) -> list[Path]:
    """Write PERFORMANCE.md and performance.png into `output`."""
    summary = Summary(results)
    markdown = output / "PERFORMANCE.md"
    png = output / "performance.png"
    plot(summary, png)
    markdown.write_text(render(summary), encoding="utf-8")
    return [markdown, png]
