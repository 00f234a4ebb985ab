"""Run the simulator from the command line: python -m simulator --token TOKEN."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping, Sequence
import contextlib
import os
import signal
import sys

from .faults import Fault
from .server import (
    ACTION_CHANGES,
    PRESET_CHANGES,
    PUT_RESPONSES,
    MediaScribeSimulator,
)

ENV_VAR = "MEDIASCRIBE_SIM_TOKEN"

type Ready = Callable[[MediaScribeSimulator], object]


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Serve a simulated MediaScribe control API.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8099,
        help="0 picks a free port (default: %(default)s)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        help=f"accepted API token, repeatable (default: ${ENV_VAR})",
    )
    parser.add_argument(
        "--site-name",
        default="Springfield City Council",
        help="siteName in the status (default: %(default)s)",
    )
    parser.add_argument(
        "--preset",
        action="append",
        default=[],
        help="preset name, repeatable (default: Default)",
    )
    parser.add_argument(
        "--put-response",
        choices=PUT_RESPONSES,
        default="status",
        help="a successful PUT answers the status, {success: true} or 204",
    )
    parser.add_argument(
        "--preset-change",
        choices=PRESET_CHANGES,
        default="apply",
        help="how a PUT of activePresetId is handled (default: %(default)s)",
    )
    parser.add_argument(
        "--action-change",
        choices=ACTION_CHANGES,
        default="apply",
        help="ignore: a start or stop is acknowledged but not carried out",
    )
    parser.add_argument(
        "--action-delay",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="seconds before an acknowledged start or stop takes effect",
    )
    parser.add_argument(
        "--latency",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="seconds to hold back every API answer",
    )
    return parser


def parse_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> argparse.Namespace:
    """Parse the command line; the token may come from the environment instead."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.token:
        token = (os.environ if environ is None else environ).get(ENV_VAR)
        if not token:
            parser.error(f"--token is required (or set {ENV_VAR})")
        args.token = [token]
    args.preset = args.preset or ["Default"]
    return args


async def run(
    args: argparse.Namespace, *, stop: asyncio.Event, ready: Ready | None = None
) -> None:
    """Serve until `stop` is set; `ready` is called once the server listens."""
    simulator = MediaScribeSimulator(
        tokens=args.token,
        site_name=args.site_name,
        presets=args.preset,
        put_response=args.put_response,
        preset_change=args.preset_change,
        action_change=args.action_change,
        action_delay=args.action_delay,
    )
    if args.latency:
        simulator.add_fault(Fault(latency=args.latency))
    await simulator.start(args.host, args.port)
    try:
        sys.stdout.write(f"MediaScribe simulator listening on {simulator.url}\n")
        sys.stdout.flush()
        if ready is not None:
            ready(simulator)
        await stop.wait()
    finally:
        await simulator.stop()


async def _serve(args: argparse.Namespace, ready: Ready | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Ctrl-C is left to asyncio.run, which cancels this task and so stops too.
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await run(args, stop=stop, ready=ready)
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None, *, ready: Ready | None = None) -> int:
    """Run the command line and return the exit status."""
    args = parse_args(argv)
    # asyncio.run has already stopped the server when it re-raises Ctrl-C.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args, ready))
    return 0


if __name__ == "__main__":
    sys.exit(main())
