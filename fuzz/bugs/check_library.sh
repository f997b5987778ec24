#!/bin/sh
# fuzz/bugs/check_library.sh LIB absent|present — the planted bugs leave no
# trace in a normal build of the runtime library (no GMPKIT_INJECT_BUG string,
# no planted:: symbol) and are there in a bug-hunt build (which shows the
# check can fail). ctest: planted_bugs_absent / planted_bugs_present.
set -eu
lib=$1
want=$2
[ -f "$lib" ] || { echo "check_library: no library at $lib" >&2; exit 2; }
strings_hits=$(grep -c -a GMPKIT_INJECT_BUG "$lib" || true)
symbol_hits=$(nm -C "$lib" 2>/dev/null | grep -c 'planted::' || true)
echo "check_library: $lib: $strings_hits GMPKIT_INJECT_BUG string(s), $symbol_hits planted:: symbol(s)"
case $want in
  absent) [ "$strings_hits" -eq 0 ] && [ "$symbol_hits" -eq 0 ] ;;
  present) [ "$strings_hits" -gt 0 ] && [ "$symbol_hits" -gt 0 ] ;;
  *) echo "check_library: want absent or present, not '$want'" >&2; exit 2 ;;
esac
