#!/usr/bin/env python3
"""The watchdog's own test: a test made to hang (watchdog_hang) must fail
within its budget, and its output must name the test and hold every
goroutine's stack, the parked one's frame included.

usage: check_watchdog.py WATCHDOG_HANG_BINARY
"""
import os
import re
import subprocess
import sys
import time

BUDGET_S = 2.0
# The dump, the abort and a loaded 2-core machine: well inside ctest's TIMEOUT.
SLACK_S = 25.0


def main() -> int:
    binary = sys.argv[1]
    env = dict(os.environ, GMPKIT_TEST_TIMEOUT=str(BUDGET_S))
    start = time.monotonic()
    try:
        proc = subprocess.run([binary], env=env, capture_output=True, text=True,
                              timeout=BUDGET_S + SLACK_S)
    except subprocess.TimeoutExpired:
        print(f"FAIL: the hung test was still running after {BUDGET_S + SLACK_S} s: "
              "the watchdog did not fire")
        return 1
    elapsed = time.monotonic() - start
    out = proc.stdout + proc.stderr
    print(out)
    problems = []
    if proc.returncode == 0:
        problems.append("the hung test exited 0")
    if elapsed < BUDGET_S:
        problems.append(f"it ended after {elapsed:.1f} s, before its budget of {BUDGET_S} s")
    for what, pattern in [
        ("Go's timeout line", r"panic: test timed out after 2\.0s"),
        ("the test's name", r"gmpkit test watchdog: Watchdog\.HangsForever"),
        ("the main goroutine's header", r"goroutine 1 \[chan receive\]:"),
        ("the parked frame", r"watchdog_hang_park_here"),
        ("the sleeping goroutine", r"goroutine \d+ \[sleep\]:"),
        ("the scheduler state", r"scheduler state:\nSCHED "),
        ("the abort", r"gmpkit test watchdog: aborting Watchdog\.HangsForever"),
    ]:
        if not re.search(pattern, out):
            problems.append(f"no {what} ({pattern!r}) in the output")
    if problems:
        print("FAIL:\n  " + "\n  ".join(problems))
        return 1
    print(f"ok: the hung test failed after {elapsed:.1f} s with a goroutine dump")
    return 0


if __name__ == "__main__":
    sys.exit(main())
