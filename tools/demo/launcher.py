"""Start Home Assistant like `hass`, without its Python patch-level check.

Home Assistant 2026.2 refuses Python 3.13.0 and 3.13.1 at start-up: its
3.13.2 floor is there for a CPython bug in interrupted backup uploads, which
the demo does not use. Everything else (arguments, OS check, the one instance
per config directory lock) is Home Assistant's own `__main__`.

With MEDIASCRIBE_TRACEMALLOC set to a file, SIGUSR1 starts tracing Python's
heap (unless it is traced already), collects garbage and writes what the
traced blocks hold, in total and per package, to that file; SIGUSR2 stops
tracing. Tracing slows every allocation, so the benchmark keeps it on only
while it adds entries, never while it measures CPU.
"""

from collections import Counter
import gc
import json
import os
from pathlib import Path
import signal
import sys
import tracemalloc
from types import FrameType

from homeassistant import __main__ as hass_main

MEMORY_FILE_VARIABLE = "MEDIASCRIBE_TRACEMALLOC"


def package(filename: str) -> str:
    """Return who allocated in `filename`: a package, an integration or Python."""
    parts = Path(filename).parts
    for marker in ("custom_components", "components"):
        if marker in parts[:-1]:
            return f"{marker}.{parts[parts.index(marker) + 1].removesuffix('.py')}"
    if "site-packages" in parts[:-1]:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    return "python"


def write_traced(path: Path) -> None:
    """Trace the heap if not yet; write the bytes traced blocks hold to `path`."""
    if not tracemalloc.is_tracing():
        tracemalloc.start()
    gc.collect()
    packages: Counter[str] = Counter()
    for stat in tracemalloc.take_snapshot().statistics("filename"):
        packages[package(stat.traceback[0].filename)] += stat.size
    partial = path.with_suffix(".partial")
    partial.write_text(
        json.dumps({"traced": packages.total(), "packages": packages}),
        encoding="utf-8",
    )
    # Renamed whole: a reader never sees half a file.
    partial.replace(path)


def main() -> int:
    """Run Home Assistant; answer the memory signals when asked to."""
    hass_main.validate_python = lambda: None
    if memory_file := os.environ.get(MEMORY_FILE_VARIABLE):

        def on_usr1(_signum: int, _frame: FrameType | None) -> None:
            write_traced(Path(memory_file))

        def on_usr2(_signum: int, _frame: FrameType | None) -> None:
            tracemalloc.stop()

        signal.signal(signal.SIGUSR1, on_usr1)
        signal.signal(signal.SIGUSR2, on_usr2)
    return hass_main.main()


if __name__ == "__main__":
    sys.exit(main())
