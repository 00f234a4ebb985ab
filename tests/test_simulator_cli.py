"""Tests for the simulator's command line, python -m simulator."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import runpy
import signal
import sys
from typing import TYPE_CHECKING

import aiohttp
import pytest

from simulator import STATUS_PATH, Fault, MediaScribeSimulator
from simulator.__main__ import ENV_VAR, main, parse_args, run

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

GOOD = "cli-token-value"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a client session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def test_defaults() -> None:
    """Only a token is needed; the server binds 127.0.0.1:8099."""
    args = parse_args(["--token", GOOD], environ={})

    assert args.host == "127.0.0.1"
    assert args.port == 8099
    assert args.token == [GOOD]
    assert args.site_name == "Springfield City Council"
    assert args.preset == ["Default"]
    assert args.put_response == "status"
    assert args.preset_change == "apply"
    assert args.latency == 0


def test_every_option() -> None:
    """Repeatable options collect their values."""
    args = parse_args(
        [
            "--host",
            "127.0.0.2",
            "--port",
            "0",
            "--token",
            "one",
            "--token",
            "two",
            "--site-name",
            "Shelbyville",
            "--preset",
            "Wide",
            "--preset",
            "Close",
            "--put-response",
            "empty",
            "--preset-change",
            "ignore",
            "--latency",
            "1.5",
        ],
        environ={ENV_VAR: "ignored"},
    )

    assert (args.host, args.port) == ("127.0.0.2", 0)
    assert args.token == ["one", "two"]
    assert args.site_name == "Shelbyville"
    assert args.preset == ["Wide", "Close"]
    assert (args.put_response, args.preset_change) == ("empty", "ignore")
    assert args.latency == 1.5


def test_token_from_the_environment() -> None:
    """The token may come from MEDIASCRIBE_SIM_TOKEN."""
    assert parse_args([], environ={ENV_VAR: GOOD}).token == [GOOD]


def test_token_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit mapping the process environment is read."""
    monkeypatch.setenv(ENV_VAR, GOOD)

    assert parse_args([]).token == [GOOD]


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        ([], {}, "--token is required (or set MEDIASCRIBE_SIM_TOKEN)"),
        ([], {ENV_VAR: ""}, "--token is required"),
        (["--token", GOOD, "--latency", "-1"], {}, "must not be negative"),
        (["--token", GOOD, "--put-response", "loud"], {}, "invalid choice: 'loud'"),
    ],
)
def test_usage_errors(
    argv: list[str],
    environ: dict[str, str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Missing tokens and bad values end with argparse's usage error."""
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv, environ=environ)

    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("socket_enabled")
async def test_run_serves_until_stopped(
    session: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    """run() prints its URL (not the token), serves, and stops when told."""
    args = parse_args(
        [
            "--token",
            GOOD,
            "--port",
            "0",
            "--site-name",
            "Shelbyville",
            "--preset",
            "Wide",
            "--put-response",
            "ack",
            "--latency",
            "0.05",
        ]
    )
    stop = asyncio.Event()
    ready: asyncio.Future[MediaScribeSimulator] = (
        asyncio.get_running_loop().create_future()
    )
    task = asyncio.create_task(run(args, stop=stop, ready=ready.set_result))
    simulator = await ready
    url = simulator.url
    headers = {"Authorization": f"Bearer {GOOD}"}

    async with session.get(url + STATUS_PATH, headers=headers) as response:
        status = await response.json()
    async with session.put(
        url + STATUS_PATH, headers=headers, json={"action": "start"}
    ) as response:
        ack = await response.json()
    stop.set()
    await task

    assert status["siteName"] == "Shelbyville"
    assert [preset["name"] for preset in status["presets"]] == ["Wide"]
    assert ack == {"success": True}
    assert simulator.faults == (Fault(latency=0.05),)
    output = capsys.readouterr().out
    assert output == f"MediaScribe simulator listening on {url}\n"
    assert GOOD not in output
    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.url


@pytest.mark.usefixtures("socket_enabled")
async def test_run_without_latency_adds_no_fault() -> None:
    """No --latency means no fault; a missing ready callback is fine."""
    args = parse_args(["--token", GOOD, "--port", "0"])
    stop = asyncio.Event()
    stop.set()

    await run(args, stop=stop)


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_main_exits_cleanly_on_a_signal(
    signum: signal.Signals, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM and Ctrl-C stop the server and main() returns 0."""
    running: list[MediaScribeSimulator] = []

    def ready(simulator: MediaScribeSimulator) -> None:
        running.append(simulator)
        signal.raise_signal(signum)

    assert main(["--token", GOOD, "--port", "0"], ready=ready) == 0

    assert "listening on http://127.0.0.1:" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="not running"):
        _ = running[0].port
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_module_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Running the package as a program goes through main()."""
    monkeypatch.setattr(sys, "argv", ["simulator"])
    monkeypatch.delenv(ENV_VAR, raising=False)
    # run_module warns when the module it is about to run is already imported.
    monkeypatch.delitem(sys.modules, "simulator.__main__")

    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("simulator", run_name="__main__")

    assert exit_info.value.code == 2
    assert "--token is required" in capsys.readouterr().err


@pytest.mark.usefixtures("socket_enabled")
async def test_python_dash_m_simulator(session: aiohttp.ClientSession) -> None:
    """The real program serves on a free port and exits 0 on SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        cwd=REPO,
        env={**os.environ, ENV_VAR: GOOD},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode()
        url = line.rsplit(" ", 1)[-1].strip()
        async with session.get(
            url + STATUS_PATH, headers={"Authorization": f"Bearer {GOOD}"}
        ) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert line.startswith("MediaScribe simulator listening on http://127.0.0.1:")
