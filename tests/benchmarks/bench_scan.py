"""Benchmark (a script, not a test): ``scan`` of the notes corpus against a bare Markdown parse.

    .venv/bin/python tests/benchmarks/bench_scan.py [--rounds N] [--profile] [FOLDER]

Times the whole work of ``scan`` in-process (finding the files, reading them, parsing and
extracting the items: :func:`bot.cli.scan.scan_paths`) against markdown-it-py alone parsing the
same texts, read beforehand, with the parser the reader uses. Rounds are interleaved and the
best of each is kept, so that a noisy neighbour hurts both sides alike. Then the scan's peak
memory: the tracemalloc peak of one scan, and the peak resident size of a fresh process that
does nothing but one scan. Targets: ratio at most 1.3, peak under 150 MB.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus" / "notes"
TARGET_RATIO = 1.3
TARGET_PEAK_MB = 150.0

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from markdown_it import MarkdownIt  # noqa: E402

from bot.cli.scan import find_notes_files, scan_paths  # noqa: E402
from bot.settings import DEFAULT_SETTINGS  # noqa: E402


def _best_of(
    rounds: int, first: Callable[[], object], second: Callable[[], object]
) -> tuple[float, float]:
    """The best time of each of two functions, run alternately (each goes first in turn)."""
    best = [float("inf"), float("inf")]
    for round_number in range(rounds):
        order = (0, 1) if round_number % 2 == 0 else (1, 0)
        for which in order:
            function = first if which == 0 else second
            gc.collect()
            start = time.perf_counter()
            function()
            best[which] = min(best[which], time.perf_counter() - start)
    return best[0], best[1]


# Linux copies a parent's ru_maxrss into its children, so a child reads its own high-water
# mark (VmHWM) where /proc has it, and falls back to ru_maxrss elsewhere.
_PEAK_RSS_KIB = """
import resource, sys
sys.path.insert(0, sys.argv[1])
import bot.cli.scan
if len(sys.argv) > 2:
    bot.cli.scan.scan_paths([sys.argv[2]])
try:
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(kib)
"""


def _child_peak_rss_mb(folder: Path | None) -> float:
    """Peak resident size of a fresh process that imports the bot and scans ``folder`` once."""
    args = [str(ROOT)] if folder is None else [str(ROOT), str(folder)]
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS_KIB, *args], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip()) / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(CORPUS), help="notes folder to scan")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (best is kept)")
    parser.add_argument("--profile", action="store_true", help="also profile one scan")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"{folder}: not found; nothing to benchmark")
        return 0

    sources, problems, _ = find_notes_files([str(folder)], DEFAULT_SETTINGS)
    texts = [source.location.read_text(encoding="utf-8") for source in sources]
    size_mb = sum(len(text.encode()) for text in texts) / 1e6
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")

    def bare_parse() -> None:
        for text in texts:
            md.parse(text)

    def scan() -> None:
        scan_paths([str(folder)])

    report = scan_paths([str(folder)])  # warm-up: imports, compiled patterns
    bare_parse()
    items = sum(len(notes.items) for notes in report.files)
    print(f"corpus: {folder}")
    print(f"files:  {len(report.files)} notes files, {size_mb:.1f} MB, {items} action items")
    if problems or report.errors:
        print(f"        {len(problems) + len(report.errors)} problems: {problems or report.errors}")

    bare, scanned = _best_of(args.rounds, bare_parse, scan)
    ratio = scanned / bare
    print(f"bare markdown-it parse: {bare:7.3f} s  (best of {args.rounds})")
    print(f"scan (whole work):      {scanned:7.3f} s  (best of {args.rounds})")
    verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio:                  {ratio:7.2f}    (target <= {TARGET_RATIO}: {verdict})")

    gc.collect()
    tracemalloc.start()
    scan_paths([str(folder)])
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    traced_mb = traced_peak / 2**20
    child_mb = _child_peak_rss_mb(folder)
    import_mb = _child_peak_rss_mb(None)
    verdict = "ok" if max(traced_mb, child_mb) < TARGET_PEAK_MB else "MISSED"
    print(f"peak memory of a scan:  {traced_mb:7.1f} MB traced by tracemalloc")
    print(
        f"                        {child_mb:7.1f} MB max RSS of a process that scans once "
        f"({import_mb:.1f} MB after imports alone)  (target < {TARGET_PEAK_MB:.0f} MB: {verdict})"
    )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(scan)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
