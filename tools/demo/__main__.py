"""scripts/develop: Home Assistant with the integration, next to the simulator."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING, NoReturn

from tools.demo import DemoError
from tools.demo.api import Server
from tools.demo.demo import MEETING, PRESETS, Demo
from tools.demo.processes import REPO

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

STATE_DIR = REPO / ".develop"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Describe and read the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description=(
            "Run Home Assistant on 127.0.0.1 with the MediaScribe integration set up"
            " against the bundled simulator (or a real server). Its configuration"
            f" stays in {STATE_DIR.relative_to(REPO)}/ between runs."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (%(default)s)"
    )
    parser.add_argument(
        "--simulator-port",
        type=int,
        default=8099,
        help="the simulator's port (%(default)s)",
    )
    parser.add_argument(
        "--url", help="a real MediaScribe server to use instead of the simulator"
    )
    parser.add_argument("--token", help="the API token for --url")
    args = parser.parse_args(argv)
    if (args.url is None) != (args.token is None):
        parser.error("--url and --token go together")
    return args


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(f"scripts/develop: {message}", flush=True)


def run(args: argparse.Namespace) -> None:
    """Start the demo, report how to use it, and keep it running."""
    server = None if args.url is None else Server(args.url, args.token)
    demo = Demo(
        STATE_DIR, port=args.port, simulator_port=args.simulator_port, server=server
    )
    try:
        if demo.simulated:
            _say(f"starting the simulator on {demo.simulator_url}")
        log = (demo.config_dir / "home-assistant.log").relative_to(REPO)
        _say(f"starting Home Assistant on {demo.url}; its log: {log}")
        demo.start()
        if demo.new_user:
            _say(f"onboarding done; created the user {demo.credentials.username!r}")
        state = "added" if demo.new_entry else "already set up"
        _say(f"MediaScribe {demo.server.url} {state}: {demo.entry_title}")
        ids = demo.device_ids()
        page = (
            f"devices/device/{ids[0]}"
            if len(ids) == 1
            else "integrations/integration/mediascribe"
        )
        user, password = demo.credentials.username, demo.credentials.password
        at = demo.meeting.astimezone().strftime("%H:%M")
        print(
            f"""
  Open        {demo.url}/config/{page}
  Log in      user {user!r}, password {password!r}
  Blueprints  Settings > Automations & scenes > Blueprints
  Calendar    Calendar in the sidebar: "{MEETING}" at {at}""",
            flush=True,
        )
        if demo.simulated:
            print(
                f"""\
  Room card   Meeting room in the sidebar
  Assist      the key A on any page, or the speech bubble atop a dashboard:
              type "start recording" or "is it recording?"
  Simulator   {demo.simulator_url} (presets: {", ".join(PRESETS)}); fake a fault:
              curl -X PATCH {demo.simulator_url}/_simulator/state \\
                -d '{{"has_no_signal": true}}'""",
                flush=True,
            )
        print("\n  Stop with Ctrl-C.\n", flush=True)
        demo.wait()
    except KeyboardInterrupt:
        _say("stopping")
    finally:
        # A second Ctrl-C must not leave Home Assistant or the simulator behind.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        demo.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run scripts/develop and return its exit status."""
    args = parse_args(argv)
    # Ctrl-C raises KeyboardInterrupt even when started from a script that
    # ignores SIGINT; a closed terminal or a kill stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        run(args)
    except DemoError as err:
        print(f"scripts/develop: {err}", file=sys.stderr)
        return 1
    _say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
