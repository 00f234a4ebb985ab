"""Serve many MediaScribe simulators from one process, for scripts/bench.

A simulator serves one site, and Home Assistant needs a distinct URL per
entry, so the benchmark's 100 entries need 100 servers. One asyncio process
on consecutive ports costs far less than 100 processes on a 2-core machine.

    python -m scripts.bench_simulators --count 101 --ready-file PATH

The token comes from MEDIASCRIBE_SIM_TOKEN. Once every simulator listens, the
first port is written to the ready file; SIGTERM or Ctrl-C stops them all.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import random
import signal
import sys
from typing import TYPE_CHECKING

from simulator import Fault, MediaScribeSimulator

if TYPE_CHECKING:
    from collections.abc import Sequence

HOST = "127.0.0.1"
TOKEN_VARIABLE = "MEDIASCRIBE_SIM_TOKEN"  # noqa: S105 - its name, not a token
PRESETS = ("Council Chamber", "Committee Room", "Work Session")
# Where a run of consecutive ports is looked for; above the registered
# services, below Linux's ephemeral range.
PORT_RANGE = (20000, 32000)
ATTEMPTS = 20


def site_name(index: int) -> str:
    """Return the site name of the simulator at `index` (entity ids follow it)."""
    return f"Bench {index:03d}"


async def start_all(
    count: int, token: str, latency: float
) -> list[MediaScribeSimulator]:
    """Start `count` simulators on consecutive ports; retry elsewhere when taken."""
    for _ in range(ATTEMPTS):
        first = random.randint(PORT_RANGE[0], PORT_RANGE[1] - count)  # noqa: S311 - not security
        started: list[MediaScribeSimulator] = []
        try:
            for index in range(count):
                sim = MediaScribeSimulator(
                    tokens=[token], site_name=site_name(index), presets=PRESETS
                )
                if latency:
                    sim.add_fault(Fault(latency=latency))
                await sim.start(HOST, first + index)
                started.append(sim)
        except OSError:
            for sim in started:
                await sim.stop()
            continue
        return started
    raise OSError(f"found no {count} consecutive free ports in {ATTEMPTS} attempts")


async def serve(args: argparse.Namespace, token: str) -> None:
    """Serve until SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    simulators = await start_all(args.count, token, args.latency)
    try:
        # Written whole, then renamed: the reader never sees half a file.
        partial = args.ready_file.with_suffix(".partial")
        partial.write_text(
            json.dumps({"first_port": simulators[0].port, "count": len(simulators)}),
            encoding="utf-8",
        )
        partial.replace(args.ready_file)
        await stop.wait()
    finally:
        for sim in simulators:
            await sim.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulators until stopped."""
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_simulators")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        parser.error(f"set {TOKEN_VARIABLE}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args, token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
