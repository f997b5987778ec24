#!/bin/bash -eu
# fuzz/oss-fuzz/build.sh — OSS-Fuzz / ClusterFuzzLite build script.
#
# Follows their conventions: compilers and flags from $CC $CXX $CFLAGS
# $CXXFLAGS (which carry the sanitizer and -fsanitize=fuzzer-no-link), the
# engine's link flags from $LIB_FUZZING_ENGINE, every harness into $OUT with
# its seed corpus as $OUT/<target>_seed_corpus.zip. The harnesses are the
# same LLVMFuzzerTestOneInput targets the nightly runs (fuzz/README.md).
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${WORK:-/tmp}/gmpkit-fuzz-build"
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?OUT must name the output directory}"

cmake -S "$SRC_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DGMPKIT_FUZZ_ENGINE=external -DGMPKIT_FUZZ_LINK_FLAGS="$LIB_FUZZING_ENGINE" \
  -DGMPKIT_BUILD_TESTS=OFF -DGMPKIT_BUILD_BENCH=OFF -DBUILD_TESTING=OFF
cmake --build "$BUILD_DIR" --target gmpkit_fuzz_all -j "$(nproc)"

mkdir -p "$OUT"
for bin in "$BUILD_DIR"/fuzz/fuzz_*; do
  [[ -f "$bin" && -x "$bin" ]] || continue
  name="$(basename "$bin")"
  cp "$bin" "$OUT/$name"
  corpus="$SRC_DIR/fuzz/corpus/$name"
  if [[ -d "$corpus" ]]; then
    rm -f "$OUT/${name}_seed_corpus.zip"
    (cd "$corpus" && python3 -m zipfile -c "$OUT/${name}_seed_corpus.zip" $(ls))
  fi
done
echo "oss-fuzz build: $(ls "$OUT" | tr '\n' ' ')"
