"""Start-up time to ready and idle memory of `xianfeng run` (fresh SQLite, sandbox on).

    python -m bench.startup [--runs 5] [--idle 10]

Each run starts a new process in an empty data folder (so the first run includes
migrations and the first-admin argon2 hash), waits for the "ready" banner, idles, reads
VmRSS from /proc, then stops it with SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(idle: float, data_dir: str) -> tuple[float, float, float]:
    env = {**os.environ, "DATA_DIR": data_dir, "ADMIN_PORT": "0", "SANDBOX_PORT": "0",
           "BOT_TOKEN": "", "DATABASE_URL": "", "DEFAULT_LOCALE": "en"}
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "xianfeng.cli", "run"], env=env, cwd=data_dir,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        for line in process.stdout:
            if "Ctrl+C" in line:
                break
        else:
            raise RuntimeError("xianfeng run ended before it was ready")
        ready = time.perf_counter() - began
        time.sleep(idle)
        with open(f"/proc/{process.pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        rss_mb = int(fields["VmRSS"].split()[0]) / 1024
        stop_began = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        return ready, rss_mb, time.perf_counter() - stop_began
    finally:
        if process.poll() is None:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds to idle before reading RSS")
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as data_dir:
            results.append(one_run(args.idle, data_dir))
        ready, rss, stop = results[-1]
        print(f"run {run + 1}: ready {ready:.2f} s, idle RSS {rss:.1f} MB, stop {stop:.2f} s", flush=True)
    readies, rsses, stops = zip(*results)
    print(f"median over {args.runs} fresh starts: ready {statistics.median(readies):.2f} s "
          f"(min {min(readies):.2f}, max {max(readies):.2f}), idle RSS {statistics.median(rsses):.1f} MB, "
          f"SIGTERM to exit {statistics.median(stops):.2f} s")


if __name__ == "__main__":
    main()
