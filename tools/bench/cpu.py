"""The kernel's CPU counters, steady state, and a py-spy profile of the loop."""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
import os
from pathlib import Path
import re
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

CLOCK_TICK = 1 / os.sysconf("SC_CLK_TCK")
STEADY_TIMEOUT = 180.0
PROFILE_RATE = 1000  # samples per second
TOP_FUNCTIONS = 15
# Everything up to the callback the event loop runs is the same in every sample.
LOOP_FRAMES = ("BaseEventLoop._run_once", "Handle._run")
EVENT_LOOP = "(the event loop itself: epoll, timers, scheduling)"
IDLE = "EpollSelector.select ("
LINE_NUMBER = re.compile(r":\d+\)$")


class BenchError(Exception):
    """The benchmark could not measure what it set out to."""


def cpu_seconds(pid: int) -> dict[str, float]:
    """Return the user+system CPU seconds of `pid`'s main thread and whole process.

    The main thread runs Home Assistant's event loop, where the integration's
    code runs; the process adds the recorder, executor and other threads.
    """

    def used(stat: str) -> float:
        # The fields after the command name, which may hold spaces: utime, stime
        # are fields 14 and 15 of proc(5).
        fields = Path(stat).read_text(encoding="ascii").rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) * CLOCK_TICK

    return {
        "loop": used(f"/proc/{pid}/task/{pid}/stat"),
        "process": used(f"/proc/{pid}/stat"),
    }


def last_write(config_dir: Path) -> float:
    """Return when Home Assistant last saved its storage (time.time())."""
    latest = 0.0
    for path in config_dir.glob(".storage/*"):
        # A file may be replaced meanwhile.
        with contextlib.suppress(FileNotFoundError):
            latest = max(latest, path.stat().st_mtime)
    return latest


async def steady(config_dirs: Sequence[Path], settle: float) -> None:
    """Wait until no Home Assistant has saved its storage for `settle` seconds.

    Setup work ends in saves: registries and config entries are saved 10 s
    after their last change (the recorder writes new states within a second
    of them).
    """
    started = time.monotonic()
    await asyncio.sleep(settle)
    while (quiet := time.time() - max(map(last_write, config_dirs))) < settle:
        if time.monotonic() - started > STEADY_TIMEOUT:
            raise BenchError(f"Home Assistant still saves after {STEADY_TIMEOUT} s")
        await asyncio.sleep(settle - quiet)


async def record_profile(pid: int, seconds: int, output: Path) -> str:
    """Sample process `pid`'s stacks with py-spy for `seconds`; return them raw."""
    py_spy = Path(sys.executable).with_name("py-spy")
    process = await asyncio.create_subprocess_exec(
        *(py_spy, "record", "--pid", str(pid), "--duration", str(seconds)),
        # Stopping Home Assistant for every sample would cost it more CPU than
        # its polls do; with idle samples counted too, the busy share holds even
        # when py-spy falls behind its rate.
        *("--rate", str(PROFILE_RATE), "--nonblocking", "--idle", "--threads"),
        *("--format", "raw", "--output", str(output)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    said, _ = await process.communicate()
    if process.returncode != 0:
        raise BenchError(f"py-spy failed: {said.decode(errors='replace')[-500:]}")
    return output.read_text(encoding="utf-8")


def summarise_profile(raw: str) -> dict[str, Any]:
    """Return the main thread's samples, busy ones, and its top functions.

    A sample is busy unless the event loop waits in epoll. A function's total
    counts the busy samples it was on the stack for, its self those it was
    running in; frames up to the event loop's callback are left out (they are
    in every sample).
    """
    samples, total, own = 0, Counter[str](), Counter[str]()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        thread, *frames = stack.split(";")
        if not thread.endswith(": MainThread"):
            continue
        samples += int(count)
        if not frames or frames[-1].startswith(IDLE):
            continue
        names = [LINE_NUMBER.sub(")", frame) for frame in frames]
        loop = [i for i, name in enumerate(names) if name.startswith(LOOP_FRAMES)]
        work = names[loop[-1] + 1 :] if loop else names
        work = work or [EVENT_LOOP]
        own[work[-1]] += int(count)
        total.update(dict.fromkeys(work, int(count)))
    return {
        "samples": samples,
        "busy": own.total(),
        "functions": [
            (name, busy, own[name]) for name, busy in total.most_common(TOP_FUNCTIONS)
        ],
        "self": own.most_common(TOP_FUNCTIONS),
    }
