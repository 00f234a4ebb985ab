"""scripts/bench: measure, then write docs/PERFORMANCE.md and its plot.

The simulators run in this process, one site per port; two Home Assistants
run side by side with docs/rest-alternative.yaml as a package: the measured
one, which also gets the integration's entries, and an idle one, whose CPU
time is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict
import json
import os
from pathlib import Path
import platform
import re
import shutil
import signal
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
import yaml

from simulator import STATUS_PATH
from tools.bench.cpu import BenchError
from tools.bench.hass_socket import HassSocket
from tools.bench.measure import (
    FULL,
    IDLE_PEER_SIM,
    INTEGRATION_SIM,
    PEER_SIM,
    QUICK,
    TOKEN,
    Bench,
    Hass,
    Profile,
    Results,
    simulators,
)
from tools.bench.report import write_report
from tools.demo import DemoError
from tools.demo.api import Server, onboard
from tools.demo.demo import Demo
from tools.demo.launcher import MEMORY_FILE_VARIABLE
from tools.demo.processes import REPO, free_port

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType


PEER_YAML = REPO / "docs" / "rest-alternative.yaml"


class BenchDemo(Demo):
    """The demo's Home Assistant, with the RESTful configuration as a package."""

    def __init__(
        self,
        state_dir: Path,
        integration_url: str,
        peer_url: str,
        profile: Profile,
    ) -> None:
        """Point the integration at one simulator and the package at another."""
        super().__init__(
            state_dir, port=free_port(), server=Server(integration_url, TOKEN)
        )
        self.peer_url = peer_url
        self.profile = profile
        self.hass_env[MEMORY_FILE_VARIABLE] = str(state_dir / "tracemalloc.json")

    def write_config(self) -> None:
        """Add the RESTful configuration to the demo's (it has none of its keys)."""
        super().write_config()
        secrets = {
            "mediascribe_status_url": f"{self.peer_url}{STATUS_PATH}",
            "mediascribe_authorization": f"Bearer {TOKEN}",
        }
        (self.config_dir / "secrets.yaml").write_text(yaml.safe_dump(secrets))
        package = PEER_YAML.read_text(encoding="utf-8")
        if (interval := self.profile.peer_scan_interval) is not None:
            # Its one resource, polled more often than rest's default.
            resource = "\n  - resource:"
            if resource not in package:
                raise BenchError(f"{PEER_YAML.name} has no `{resource.strip()}`")
            package = package.replace(
                resource, f"\n  - scan_interval: {interval:g}\n    resource:"
            )
        with (self.config_dir / "configuration.yaml").open("a", encoding="utf-8") as f:
            f.write(package)


def machine() -> dict[str, Any]:
    """Describe the machine and software the numbers were taken on."""
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    cpu = re.search(r"^model name\s*: (.*)$", cpuinfo, re.MULTILINE)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else "unknown",
        "memory": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


async def run(profile: Profile, state_dir: Path) -> Results:
    """Start everything, measure, and stop everything again."""
    results = Results(machine=machine(), profile=asdict(profile))
    # In this process: the bench reads their request logs and changes their
    # state directly, and they serve while Home Assistant starts.
    sims = simulators(max(profile.cost_counts) + 2)  # and the RESTful setups'
    demos: list[BenchDemo] = []
    try:
        for sim in sims:
            await sim.start()
        demos += (
            BenchDemo(state_dir / name, sims[INTEGRATION_SIM].url, sims[i].url, profile)
            for name, i in (("measured", PEER_SIM), ("idle", IDLE_PEER_SIM))
        )
        say(f"starting two Home Assistants; their logs: {state_dir}/*/hass.out")
        await asyncio.gather(*(asyncio.to_thread(d.start_hass) for d in demos))
        sessions = [
            (await asyncio.to_thread(onboard, d.url, d.credentials))[0] for d in demos
        ]
        say("measuring")
        async with aiohttp.ClientSession() as http:
            hasses = []
            for demo, session in zip(demos, sessions, strict=True):
                if demo.hass is None:
                    raise BenchError("Home Assistant is not running")
                socket = HassSocket(http, demo.url, session.access_token)
                hasses.append(Hass(demo.hass.pid, demo.state_dir, socket))
            measured, idle = hasses
            try:
                for hass in hasses:
                    await hass.socket.connect()
                bench = Bench(profile, measured, idle, sims, sessions[0], results)
                await bench.run()
            finally:
                for hass in hasses:
                    await hass.socket.close()
    finally:
        # Home Assistant and its tokens go with the state directory.
        for demo in demos:
            await asyncio.to_thread(demo.stop)
        for sim in sims:
            await sim.stop()
    return results


def say(message: str) -> None:
    """Tell the user what the bench is doing."""
    print(f"scripts/bench: {message}", flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Describe and read the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Measure the MediaScribe integration against the RESTful"
        " configuration in docs/rest-alternative.yaml and against an idle Home"
        " Assistant beside it; write PERFORMANCE.md and performance.png. The full"
        " run takes about 15 minutes.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run of about 90 s (token trial counts, 5 s windows, a 2 s"
        " RESTful scan_interval) whose figures are noise",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "docs",
        help="where PERFORMANCE.md and performance.png go (default: docs/)",
    )
    parser.add_argument(
        "--results", type=Path, help="also keep the raw measurements as JSON here"
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and return its exit status."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    state_dir = Path(tempfile.mkdtemp(prefix="mediascribe-bench-"))
    started = time.monotonic()
    try:
        results = asdict(asyncio.run(run(QUICK if args.quick else FULL, state_dir)))
    except (BenchError, DemoError, OSError, TimeoutError) as err:
        print(f"scripts/bench: {err}; logs in {state_dir}", file=sys.stderr)
        return 1
    say(f"measured in {time.monotonic() - started:.0f} s")
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
