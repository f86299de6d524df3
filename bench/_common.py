"""What the benchmark scripts share: the machine's facts, timing, peak memory, and replacing
a script's own section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
DOCS = PROJECT / "docs" / "benchmarks.md"


def machine(versions: Mapping[str, str] | None = None) -> dict[str, str]:
    """CPU, cores, RAM, OS and Python, then the library versions given."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        **(versions or {}),
    }


def timed(runs: int, function: Callable[[], Any], warm_up: bool = True) -> tuple[list[float], Any]:
    """Times of `runs` calls (at least one), after a warm-up call, and the last result."""
    result = function() if warm_up else None
    times = []
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


@dataclass
class Step:
    label: str
    times: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def fmt(times: list[float]) -> str:
    """ "1.23 s (1.20-1.30, 5 runs)" """
    if len(times) == 1:
        return f"{times[0]:.2f} s (1 run)"
    return (
        f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f}, {len(times)} runs)"
    )


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, it starts afresh at
    exec, so a child does not inherit the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def replace_section(title: str, text_section: str, docs: Path = DOCS) -> None:
    """Replace the section headed `title` (a "## " line) of docs/benchmarks.md, or append."""
    text = docs.read_text()
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    match = pattern.search(text)
    if match:
        text = text[: match.start()] + text_section + "\n" + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + text_section
    docs.write_text(text.rstrip("\n") + "\n")
