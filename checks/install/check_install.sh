#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs a
# consumer through find_package(gmpkit) and through pkg-config.
set -euo pipefail
build=$1; src=$2; work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
flags=()
[[ -n "${GMPKIT_SANITIZE_FLAGS:-}" ]] && flags=(-DCMAKE_CXX_FLAGS="$GMPKIT_SANITIZE_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$GMPKIT_SANITIZE_FLAGS")
cmake -S "$src" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" "${flags[@]}" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig" \
  g++ -o "$work/pc" "$src/consumer.cpp" $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig" pkg-config --cflags --libs gmpkit) ${GMPKIT_SANITIZE_FLAGS:-}
"$work/pc"
