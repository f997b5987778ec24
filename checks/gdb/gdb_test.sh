#!/bin/sh
# ctest gdb_goroutines: runs gdb_target under gdb with runtime/gdb/gmpkit-gdb.py,
# stops at gmpkit_gdb_test_stop, checks `info goroutines` and `goroutine N bt`
# on the live process, writes a core file (gcore) and checks the listing and
# the heuristic backtrace on it. Exit 77 (ctest SKIP) without gdb or ptrace.
# usage: gdb_test.sh TARGET SCRIPT WORKDIR [nocore]
# nocore: sanitizer builds, whose shadow memory makes a core file of ~20 GB.
set -u
target=$1 script=$2 work=$3 withcore=${4:-core}
mkdir -p "$work"
if ! command -v gdb >/dev/null 2>&1; then echo "SKIP: gdb not installed"; exit 77; fi
probe=$(gdb -nx -batch -ex run --args /bin/true 2>&1)
case $probe in
  *"ptrace: Operation not permitted"*|*"Could not trace"*|*"not permitted"*)
    echo "SKIP: ptrace not permitted here: $probe"; exit 77 ;;
esac
fail=0
check() {  # check NAME EXTENDED-REGEX FILE
  if grep -Eq -- "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1 (no match for /$2/)"; fail=1; fi
}
core="$work/gdb_target.core"
rm -f "$core"
trap 'rm -f "$core"' EXIT
gcore_cmd="gcore $core"
[ "$withcore" = nocore ] && gcore_cmd="echo (no core file: sanitizer build)\\n"
# A hang is reported with what gdb printed so far (ctest's TIMEOUT would
# kill the script silently): GMPKIT_TEST_TIMEOUT (ctest sets it) bounds gdb.
budget=${GMPKIT_TEST_TIMEOUT:-60}
# LeakSanitizer cannot stop the world (ptrace) under a debugger.
timeout -k 5 "$budget" gdb -nx -batch \
  -ex "set pagination off" -ex "set confirm off" \
  -ex "set environment ASAN_OPTIONS=detect_leaks=0" \
  -ex "source $script" \
  -ex "break gmpkit_gdb_test_stop" -ex "run" \
  -ex "echo ==info==\\n" -ex "info goroutines" \
  -ex "echo ==bt2==\\n" -ex "goroutine 2 bt" \
  -ex "echo ==bt3==\\n" -ex "goroutine 3 bt" \
  -ex "echo ==after==\\n" -ex "bt 1" \
  -ex "$gcore_cmd" \
  -ex "continue" \
  "$target" >"$work/live.txt" 2>&1
rc=$?
cat "$work/live.txt"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
  echo "FAIL: gdb and the target did not finish within ${budget} s (output so far above)"
  exit 1
fi
sed -n '/==info==/,/==bt2==/p' "$work/live.txt" >"$work/info.txt"
sed -n '/==bt2==/,/==bt3==/p' "$work/live.txt" >"$work/bt2.txt"
sed -n '/==bt3==/,/==after==/p' "$work/live.txt" >"$work/bt3.txt"
sed -n '/==after==/,$p' "$work/live.txt" >"$work/after.txt"
check "main goroutine on an M" '^\* 1 running ' "$work/info.txt"
check "goroutine 2 parked in chan receive" '^  2 waiting +\[chan receive\] ' "$work/info.txt"
check "goroutine 3 parked in WaitGroup" '^  3 waiting +\[sync.WaitGroup.Wait\] ' "$work/info.txt"
check "goroutine 2 bt shows its function" 'gdb_target_park_in_recv' "$work/bt2.txt"
check "goroutine 2 bt shows the channel receive" 'chanrecv' "$work/bt2.txt"
check "goroutine 3 bt shows its function" 'gdb_target_wait_group' "$work/bt3.txt"
check "registers restored after goroutine N bt" 'gmpkit_gdb_test_stop' "$work/after.txt"
check "program finished" 'exited normally' "$work/live.txt"
if [ "$withcore" = nocore ]; then
  echo "note: core-file checks skipped (sanitizer build: the core would hold the shadow memory)"
elif [ -s "$core" ]; then
  gdb -nx -batch -ex "set pagination off" -ex "source $script" \
    -ex "echo ==info==\\n" -ex "info goroutines" -ex "echo ==bt2==\\n" -ex "goroutine 2 bt" \
    "$target" "$core" >"$work/core.txt" 2>&1
  cat "$work/core.txt"
  check "core: goroutine 2 listed" '^  2 waiting +\[chan receive\] ' "$work/core.txt"
  check "core: goroutine 2 bt finds its function" 'gdb_target_park_in_recv' "$work/core.txt"
  rm -f "$core"
else
  echo "note: gcore wrote no core file; core-file checks skipped"
fi
exit $fail
