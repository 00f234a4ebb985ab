"""Turn the bench's measurements into docs/PERFORMANCE.md and its plot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
import statistics
from typing import TYPE_CHECKING, Any

from tools.bench.measure import SETUP_INTEGRATION as INTEGRATION, SETUP_PEER as PEER

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

SETUPS = (INTEGRATION, PEER)
OWN_CODE = "custom_components.mediascribe"

COMMAND_RTT_TARGET = 2.2
PEER_SPEEDUP_TARGET = 10.0
CORE_SHARE_TARGET = 0.02
# Per-poll CPU and per-entry memory count as flat when the figures at every
# count stay within this factor of the one at the largest count.
FLAT_FACTOR = 1.5
MS = 1000.0
KIB = 1024
MINUTE = 60.0


@dataclass(frozen=True)
class Spread:
    """Median and the 10th to 90th percentile of some samples."""

    n: int
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        """Summarize samples (at least one)."""
        deciles = statistics.quantiles(samples, n=10, method="inclusive")
        return cls(len(samples), statistics.median(samples), deciles[0], deciles[-1])

    def cells(self) -> tuple[int, str, str]:
        """Return n, the median and the range, as table cells."""
        return (
            self.n,
            _duration(self.median),
            f"{_duration(self.low)} - {_duration(self.high)}",
        )


@dataclass(frozen=True)
class CostRow:
    """One window of the cost measurement, less the idle baseline."""

    entries: int
    polls_per_minute: float
    loop_ms_per_poll: float
    core_share: float


class Summary:
    """The figures the report prints, computed once from the measurements."""

    def __init__(self, results: Mapping[str, Any]) -> None:
        """Group and reduce the raw measurements."""
        self.results = results
        self.peer_interval: float = results["intervals"][PEER]
        self.latencies = sorted(float(k) for k in results["rtt"])
        self.rtt = {
            x: statistics.median(results["rtt"][f"{x:g}"]) for x in self.latencies
        }
        self.commands = _seconds_by_setup_and_latency(results["commands"])
        self.detections = _seconds_by_setup_and_latency(results["detections"])
        self.cost = _cost_rows(results["cost"])
        self.memory: list[dict[str, Any]] = results["memory"]

    def command(self, setup: str, latency: float) -> Spread:
        """Return the spread of one setup's command times at one latency."""
        return Spread.of(self.commands[setup, latency])

    def requests_per_command(self, setup: str) -> dict[str, list[int]]:
        """Return the requests of each method that each command of `setup` caused."""
        return {
            method: [
                c["requests"][method]
                for c in self.results["commands"]
                if c["setup"] == setup
            ]
            for method in ("PUT", "GET")
        }

    def memory_slopes(self) -> list[tuple[int, int, float]]:
        """Return (first, last entry, bytes per entry) fitted over each half."""
        points = [(m["entries"], m["traced"]) for m in self.memory]
        middle = len(points) // 2
        slopes = []
        for half in (points[: middle + 1], points[middle:]):
            fit = statistics.linear_regression(*zip(*half, strict=True))
            slopes.append((half[0][0], half[-1][0], fit.slope))
        return slopes

    def own_memory(self) -> float:
        """Return the per-entry growth of what the integration's own code allocated."""
        first, last = self.memory[0], self.memory[-1]
        grown = last["packages"].get(OWN_CODE, 0) - first["packages"].get(OWN_CODE, 0)
        return float(grown / (last["entries"] - first["entries"]))


def _seconds_by_setup_and_latency(
    trials: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, float], list[float]]:
    grouped: dict[tuple[str, float], list[float]] = defaultdict(list)
    for trial in trials:
        grouped[trial["setup"], trial["latency"]].append(trial["seconds"])
    return grouped


def _cost_rows(windows: Sequence[Mapping[str, Any]]) -> list[CostRow]:
    baseline = next(w for w in windows if w["entries"] == 0)
    idle_loop = baseline["loop_cpu"] / baseline["seconds"]
    rows = []
    for window in sorted(windows, key=lambda w: w["entries"]):
        if window["entries"] == 0:
            continue
        seconds = window["seconds"]
        polls = max(window["polls"], 1)
        loop = window["loop_cpu"] - idle_loop * seconds
        rows.append(
            CostRow(
                entries=window["entries"],
                polls_per_minute=window["polls"] / seconds * MINUTE,
                loop_ms_per_poll=loop / polls * MS,
                core_share=loop / seconds,
            )
        )
    return rows


# -- targets ----------------------------------------------------------------------


def targets(summary: Summary) -> Iterator[tuple[str, str, bool, str]]:
    """Judge every target against the measurements: name, measured, met, why."""
    multiples = {
        latency: summary.command(INTEGRATION, latency).median / summary.rtt[latency]
        for latency in summary.latencies
    }
    met = max(multiples.values()) <= COMMAND_RTT_TARGET
    yield (
        f"Command to confirmed state <= {COMMAND_RTT_TARGET:g}x RTT",
        ", ".join(f"{m:.2f}x at {_ms(x)}" for x, m in multiples.items()),
        met,
        "one round trip (the PUT's answer is the new state) plus Home Assistant's"
        " own cost of a websocket action, a state write and its event"
        + ("" if met else ", which a short round trip does not hide"),
    )
    ratios = {
        latency: summary.command(PEER, latency).median
        / summary.command(INTEGRATION, latency).median
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
    counts = summary.requests_per_command(INTEGRATION)
    most = {method: max(values) for method, values in counts.items()}
    yield (
        "At most one PUT and one GET per command",
        f"at most {most['PUT']} PUT and {most['GET']} GET",
        met := most["PUT"] <= 1 and most["GET"] <= 1,
        "the PUT's answer is the new state; a GET only when it carries none"
        if met
        else "a poll's GET can fall into a command's window (see the medians)",
    )
    yield _flat(
        "Event-loop CPU per poll",
        [(row.entries, row.loop_ms_per_poll) for row in summary.cost],
        "ms at",
        "a poll costs the same whatever the number of entries",
        "with few entries a window holds few polls, and the idle Home"
        " Assistant's own work, subtracted as measured in another window,"
        " weighs on each",
    )
    yield _flat(
        "Memory per entry (Python heap, tracemalloc)",
        [(last, slope / KIB) for _, last, slope in summary.memory_slopes()],
        "KiB/entry up to",
        "each entry holds its own coordinator, client, device and entities,"
        " nothing shared grows with the number of entries",
        "what an entry costs changes with the number of entries",
    )
    largest = summary.cost[-1]
    budget = CORE_SHARE_TARGET / (largest.polls_per_minute / MINUTE) * MS
    yield (
        f"{largest.entries} entries at a 5 s interval use under"
        f" {CORE_SHARE_TARGET:.0%} of one core",
        f"{largest.core_share:.2%} of one core ({largest.loop_ms_per_poll:.2f} ms"
        f" CPU per poll, {largest.polls_per_minute:.0f} polls/min)",
        largest.core_share < CORE_SHARE_TARGET,
        f"the target allows {budget:.2f} ms of CPU per poll",
    )


def _flat(
    name: str, points: Sequence[tuple[int, float]], unit: str, why: str, why_not: str
) -> tuple[str, str, bool, str]:
    reference = points[-1][1]
    met = all(
        reference / FLAT_FACTOR <= value <= reference * FLAT_FACTOR
        for _, value in points
    )
    return (
        f"{name} flat in the number of entries",
        ", ".join(f"{value:.2f} {unit} {count}" for count, value in points),
        met,
        f"every figure within {FLAT_FACTOR:g}x of the last: {why}"
        if met
        else f"some figure differs by more than {FLAT_FACTOR:g}x from the last:"
        f" {why_not}",
    )


# -- markdown ---------------------------------------------------------------------


def render(summary: Summary) -> str:
    """Return PERFORMANCE.md."""
    results, profile = summary.results, summary.results["profile"]
    machine = results["machine"]
    run = (
        "`scripts/bench --quick`, a smoke run (token trial counts, a short RESTful"
        " scan_interval) whose numbers are not for conclusions"
        if profile["peer_scan_interval"] is not None
        else "`scripts/bench`"
    )
    verdicts = [
        (name, measured, "met" if met else "**missed**", why)
        for name, measured, met, why in targets(summary)
    ]
    detections = [
        (setup, f"{results['intervals'][setup]:g} s", _ms(x), *Spread.of(d).cells())
        for setup in (INTEGRATION, PEER)
        for x in summary.latencies
        if (d := summary.detections.get((setup, x)))
    ]
    command_table = _table(
        "Added latency | RTT | Setup | n | Median | p10 - p90 | x RTT",
        list(_command_rows(summary)),
    )
    requests = list(_request_rows(summary))
    cost_table = _table(
        "Entries | Polls/min | Event-loop CPU per poll | Share of one core",
        [
            (
                row.entries,
                f"{row.polls_per_minute:.0f}",
                f"{row.loop_ms_per_poll:.2f} ms",
                f"{row.core_share:.2%}",
            )
            for row in summary.cost
        ],
    )
    slopes = [(f"{a} - {b}", _kib(slope)) for a, b, slope in summary.memory_slopes()]
    setup = results["setup"]
    setup_times = [
        ("first (loads the integration)", *Spread.of(setup[:1]).cells()),
        ("further entries", *Spread.of(setup[1:]).cells()),
    ]
    return f"""\
# Performance

The MediaScribe integration against what a user would build without it: the
RESTful configuration in [rest-alternative.yaml](rest-alternative.yaml) (`rest`
resource, `rest_command` PUTs, `template` switch and select). Both run side by
side in one Home Assistant (the demo's, `tools/demo/`, with that file added),
each against its own simulated MediaScribe server (`simulator/`, in the bench's
process) whose answers are held back by an added latency; the integration's
entries are added through the config flow's REST API. Times on a shared machine
are noisy, so the tables give ratios to the round-trip time (RTT) and to the
other setup measured in the same run, not absolute times alone.

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

From the websocket `call_service` (`switch.turn_on`, `switch.turn_off`,
`select.select_option`) until Home Assistant wrote the state the server reports
(the `state_changed` event's `time_fired`). The RTT is the median of GETs of the
status from the bench process on a kept-alive connection. The simulator answers
a PUT with the new status (its default), so a confirmed state needs one round
trip.

{command_table}

The RESTful entities show a command's result with the next poll, every
{summary.peer_interval:g} s; the bench sends their commands at phases spread evenly
over the poll period. A user who minds the delay can add
`homeassistant.update_entity` after each command (see rest-alternative.yaml):
a second request and a second round trip.

## 2. A change on the server

The simulator's no-signal flag is toggled at phases spread over each setup's
poll period (nothing in Home Assistant is told); the delay runs until the binary
sensor shows it.

{_table("Setup | Poll interval | Added latency | n | Median | p10 - p90", detections)}

## 3. Requests

From the simulators' request logs. Per poll: the GETs in the quiet CPU windows
over the number of polls (requests less than 1 s apart are one poll). Per
command: the requests from the action's call until it returned; the RESTful
entities then take the new state from the next poll's GET.

{_table("Setup | Requests per poll | Requests per command (median; most)", requests)}

## 4. CPU against the number of entries

The CPU time of Home Assistant's event loop, where all of the integration's
code runs (the main thread's `schedstat`, in nanoseconds), over
{profile["window"]:g} s windows with idle servers, starting {profile["settle"]:g} s
after the last entry was added, less the same window with no entry.

{cost_table}

## 5. Memory per entry

Python's heap inside Home Assistant, from `tracemalloc`: when the bench asks
(SIGUSR1), Home Assistant's launcher (`tools/demo/launcher.py`) starts tracing,
collects garbage and reports what the traced blocks hold: once before entry
{summary.memory[0]["entries"] + 1} is added, then after every entry up to entry
{summary.memory[-1]["entries"]}. Tracing slows every allocation, so it is off during
the CPU windows and the timed setups. Per entry is the slope of a line
fitted to each half of the samples.

{_table("Entries | Per entry", slopes)}

Of that, {_kib(summary.own_memory())} per entry was allocated by the integration's
own code (`custom_components/mediascribe`); the rest by Home Assistant and the
libraries it uses on the entry's behalf.

## 6. Setup

From starting the config flow (which reads the server once to check the address
and token) until the new entry's switch, preset select, video signal sensor and
both recording sensors have a state other than unavailable.

{_table("Entry | n | Median | p10 - p90", setup_times)}
"""


def _command_rows(summary: Summary) -> Iterator[tuple[object, ...]]:
    for latency in summary.latencies:
        rtt = summary.rtt[latency]
        for setup in SETUPS:
            spread = summary.command(setup, latency)
            multiple = f"{spread.median / rtt:.2f}"
            yield _ms(latency), _duration(rtt), setup, *spread.cells(), multiple


def _request_rows(summary: Summary) -> Iterator[tuple[object, ...]]:
    for setup in SETUPS:
        poll = summary.results["polls"][setup]
        puts, gets = summary.requests_per_command(setup).values()
        yield (
            setup,
            f"{poll['gets'] / max(poll['polls'], 1):.2f} GET ({poll['gets']} GETs in"
            f" {poll['polls']} polls)",
            f"{statistics.median(puts):g} PUT + {statistics.median(gets):g} GET;"
            f" {max(puts)} PUT + {max(gets)} GET",
        )


def _table(header: str, rows: Sequence[Sequence[object]]) -> str:
    """Return a Markdown table; `header` separates the column names with |."""
    lines = [f"| {header} |", f"|{' --- |' * (header.count('|') + 1)}"]
    lines += (f"| {' | '.join(map(str, row))} |" for row in rows)
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * MS:g} ms"


def _kib(size: float) -> str:
    return f"{size / KIB:.1f} KiB"


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
    axes.set_title(
        f"Command to confirmed state (RESTful polls every {summary.peer_interval:g} s)"
    )
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
