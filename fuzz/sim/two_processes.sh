#!/bin/sh
# fuzz/sim/two_processes.sh SIM_HUNT [N] — determinism across processes: the
# same (program, seed, strategy) must give the same schedule hash, step count
# and virtual time in two separate processes (different ASLR layouts, so a
# decision keyed on an address, or a thread-local the simulator does not
# save, shows up here and not in sim_determinism_test's one process). The
# second process runs the list in reverse: a run must not depend on the runs
# before it in its process either (heap layout, runtime state left over).
set -eu
exe=$1
n=${2:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$exe" --hashes "$n" | sort > "$dir/a"
"$exe" --hashes "$n" --reverse | sort > "$dir/b"
runs=$(wc -l < "$dir/a")
if [ "$runs" -lt 10 ]; then
  echo "two_processes: only $runs runs: sim_hunt --hashes printed too little" >&2
  exit 1
fi
if ! cmp -s "$dir/a" "$dir/b"; then
  echo "two_processes: NONDETERMINISM across processes (first process <, second, in reverse order, >):" >&2
  diff "$dir/a" "$dir/b" | head -20 >&2
  exit 1
fi
echo "two_processes: $runs simulations gave identical hashes in two processes"
