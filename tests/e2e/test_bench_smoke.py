"""scripts/bench --quick end to end: every figure of the report is produced.

Timings, CPU and memory are never asserted: on a shared machine they prove
nothing. What is checked is that both setups were measured at every latency,
both Home Assistants in every CPU window, a profile taken, and every table
and the plot written.
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
    "## 5. Where a poll's time goes",
    "## 6. Memory per entry",
    "## 7. Setup",
)
TARGETS = (
    "Command to confirmed state at 5 ms <= 1.6x RTT",
    "Command to confirmed state at 100 ms <= 1.1x RTT",
    "At least 10x faster than the RESTful configuration",
    "Exactly one GET per poll",
    "At most one PUT and one GET per command",
    "entries at a 5 s interval use under 2% of one core",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The smoke run takes about a minute and a half; the rest is slack for a busy
# machine.
TIMEOUT = 360


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


def test_every_figure_measured(bench: tuple[Path, dict[str, Any]]) -> None:
    """Commands, server changes, polls, CPU, the profile, memory and setups."""
    _, results = bench
    assert sorted(results["rtt"]) == sorted(f"{latency:g}" for latency in LATENCIES)
    every = {(s, latency) for s in SETUPS for latency in LATENCIES}
    assert {(c["setup"], c["latency"]) for c in results["commands"]} == every
    assert {(d["setup"], d["latency"]) for d in results["detections"]} == every
    for setup in SETUPS:
        assert results["polls"][setup]["polls"] > 0
    counts = results["profile"]["cost_counts"]
    assert [window["entries"] for window in results["cost"]] == [0, *counts]
    for window in results["cost"]:
        for side in ("measured", "idle"):
            assert set(window[side]) == {"loop", "process"}
    profile = results["poll_profile"]
    assert profile["entries"] == counts[-1]
    assert profile["samples"] > 0
    # Memory is traced while the last step's entries are added, one sample
    # before them and one after each; only the untraced adds are timed.
    traced = [sample["entries"] for sample in results["memory"]]
    assert traced == list(range(counts[-2], counts[-1] + 1))
    assert "custom_components.mediascribe" in results["memory"][-1]["packages"]
    assert len(results["setup"]) == counts[-2]


def test_report_and_plot_written(bench: tuple[Path, dict[str, Any]]) -> None:
    """PERFORMANCE.md has every section and target; the PNG is a PNG."""
    output, _ = bench
    report = (output / "PERFORMANCE.md").read_text(encoding="utf-8")
    for heading in (*SECTIONS, *TARGETS):
        assert heading in report
    for setup in SETUPS:
        assert f"| {setup} |" in report
    assert (output / "performance.png").read_bytes().startswith(PNG_SIGNATURE)
