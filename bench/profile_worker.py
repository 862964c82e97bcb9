"""Run ``xianfeng`` under cProfile timed by the main thread's CPU time (``BENCH_PROFILE``).

    python -m bench.profile_worker OUT.prof bot --worker-id bench-0

Wall-clock profiles of a worker on a busy machine charge a function for the time its thread
waited for a CPU or for the GIL; ``time.thread_time`` counts only the CPU the event loop's
thread used (the SQLite driver's thread is not included).
"""

from __future__ import annotations

import cProfile
import sys
import time

from xianfeng.cli import main

if __name__ == "__main__":
    out, argv = sys.argv[1], sys.argv[2:]
    profile = cProfile.Profile(time.thread_time)
    try:
        profile.runcall(main, argv)
    finally:
        profile.dump_stats(out)
