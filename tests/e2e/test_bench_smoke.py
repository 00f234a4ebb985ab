"""scripts/bench --quick end to end: every figure of the report is produced.

Timings are never asserted: on a shared machine they prove nothing. What is
checked is that both setups were measured at every latency and that every
table and the plot were written.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from tools.demo.processes import REPO

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.usefixtures("socket_enabled")

SETUPS = ("integration", "RESTful")
LATENCIES = (0.005, 0.1)
SECTIONS = (
    "## Targets",
    "## 1. Command to confirmed state",
    "## 2. A change on the server",
    "## 3. Requests",
    "## 4. CPU against the number of entries",
    "## 5. Memory per entry",
    "## 6. Setup",
)
TARGETS = (
    "Command to confirmed state <= 2.2x RTT",
    "At least 10x faster than the RESTful configuration",
    "Exactly one GET per poll",
    "At most one PUT and one GET per command",
    "Event-loop CPU per poll flat",
    "Memory per entry (Python heap, tracemalloc) flat",
    "entries at a 5 s interval use under 2% of one core",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The smoke run takes about a minute; the rest is slack for a busy machine.
TIMEOUT = 240


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Run scripts/bench --quick once; return its output folder and results."""
    output = tmp_path_factory.mktemp("bench")
    results = output / "results.json"
    completed = subprocess.run(  # noqa: S603 - our own script
        [
            str(REPO / "scripts" / "bench"),
            "--quick",
            "--output",
            str(output),
            "--results",
            str(results),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return output, json.loads(results.read_text(encoding="utf-8"))


def test_every_command_figure(bench: tuple[Path, dict[str, Any]]) -> None:
    """Both setups were timed at both latencies."""
    _, results = bench
    assert sorted(results["rtt"]) == sorted(f"{latency:g}" for latency in LATENCIES)
    measured = {(c["setup"], c["latency"]) for c in results["commands"]}
    assert measured == {(s, latency) for s in SETUPS for latency in LATENCIES}
    assert all("requests" in command for command in results["commands"])


def test_every_detection_request_cost_memory_and_setup_figure(
    bench: tuple[Path, dict[str, Any]],
) -> None:
    """Server changes, polls, CPU windows, heap samples and setups were recorded."""
    _, results = bench
    detected = {(d["setup"], d["latency"]) for d in results["detections"]}
    assert detected == {(s, latency) for s in SETUPS for latency in LATENCIES}
    for setup in SETUPS:
        assert results["polls"][setup]["polls"] > 0
    counts = results["profile"]["cost_counts"]
    assert [window["entries"] for window in results["cost"]] == [0, *counts]
    # Memory is traced while the last step's entries are added, one sample
    # before them and one after each; only the untraced adds are timed.
    traced = [sample["entries"] for sample in results["memory"]]
    assert traced == list(range(counts[-2], counts[-1] + 1))
    assert all(sample["traced"] > 0 for sample in results["memory"])
    assert "custom_components.mediascribe" in results["memory"][-1]["packages"]
    assert len(results["setup"]) == counts[-2]
    assert {"cores", "cpu", "python", "home_assistant", "date"} <= set(
        results["machine"]
    )


def test_report_and_plot_written(bench: tuple[Path, dict[str, Any]]) -> None:
    """PERFORMANCE.md has every section and target; the PNG is a PNG."""
    output, _ = bench
    report = (output / "PERFORMANCE.md").read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert heading in report
    for target in TARGETS:
        assert target in report
    for setup in SETUPS:
        assert f"| {setup} |" in report
    prose = " ".join(report.split())
    assert "per entry was allocated by the integration's own code" in prose
    png = (output / "performance.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
