"""Benchmark (a script, not a test): loading a settings file with libyaml against pure Python.

    .venv/bin/python tests/benchmarks/bench_settings.py [--rounds N] [FILE]

Times :func:`bot.settings.load_settings` on ``examples/meeting-todo-bot.yml`` (every key,
commented) as the bot runs it (PyYAML's C loader when libyaml is built in) and with the
pure-Python ``SafeLoader`` forced, in µs per load. Rounds are interleaved and the best of each
kept, so that a noisy neighbour hurts both sides alike. Both must give equal settings.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "meeting-todo-bot.yml"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import bot.settings as settings_module  # noqa: E402
from bot.settings import Settings, load_settings  # noqa: E402


def _per_load_us(load: Callable[[], Settings], loads: int) -> float:
    started = time.perf_counter()
    for _ in range(loads):
        load()
    return (time.perf_counter() - started) / loads * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--loads", type=int, default=200, help="loads per round")
    args = parser.parse_args()
    text = args.file.read_text()
    fast_loader = settings_module._FAST_LOADER

    def with_loader(loader: object) -> Callable[[], Settings]:
        def load() -> Settings:
            settings_module._FAST_LOADER = loader
            return load_settings(text, str(args.file))

        return load

    pure, fast = with_loader(yaml.SafeLoader), with_loader(fast_loader)
    assert pure() == fast(), "the two loaders disagree"
    best_pure = best_fast = float("inf")
    for _ in range(args.rounds):
        best_pure = min(best_pure, _per_load_us(pure, args.loads))
        best_fast = min(best_fast, _per_load_us(fast, args.loads))
    settings_module._FAST_LOADER = fast_loader
    print(f"{args.file.name}: {len(text)} characters")
    print(f"  SafeLoader (pure Python): {best_pure:8.0f} µs per load")
    print(f"  {fast_loader.__name__:<24}: {best_fast:8.0f} µs per load")
    print(f"  {best_pure / best_fast:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
