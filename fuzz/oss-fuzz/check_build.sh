#!/bin/bash -eu
# Runs build.sh the way OSS-Fuzz does (clang, ASan, libFuzzer) into a scratch
# $OUT, then runs every harness on its seed corpus for a few seconds.
scratch="$1"
rm -rf "$scratch"
mkdir -p "$scratch/out" "$scratch/work"
export CC=clang-14 CXX=clang++-14
export CFLAGS="-O1 -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export OUT="$scratch/out" WORK="$scratch/work"
"$(dirname "$0")/build.sh"
n=0
for bin in "$OUT"/fuzz_*; do
  [[ "$bin" == *.zip ]] && continue
  name="$(basename "$bin")"
  [[ -f "$OUT/${name}_seed_corpus.zip" ]] || { echo "missing ${name}_seed_corpus.zip"; exit 1; }
  mkdir -p "$scratch/corpus/$name"
  (cd "$scratch/corpus/$name" && python3 -m zipfile -e "$OUT/${name}_seed_corpus.zip" .)
  "$bin" -max_total_time=5 "$scratch/corpus/$name"
  n=$((n + 1))
done
[[ $n -ge 4 ]] || { echo "only $n harnesses built"; exit 1; }
echo "oss-fuzz check: $n harnesses built and ran"
