# Sourced by ci/* scripts: the Debian packages gmpkit builds and tests with.
GMPKIT_PACKAGES=(
  cmake ninja-build g++ pkg-config
  clang-14 llvm-14  # the clang preset (llvm-14: llvm-objcopy/llvm-ar that CMake picks for clang)
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libboost-context-dev libclang-rt-14-dev
  libunwind-dev gdb  # goroutine dumps (dlopen libunwind.so.8), the gdb script test
  nlohmann-json3-dev
  # reports/ (its pytest suite is in the default ctest run)
  python3 python3-numpy python3-scipy python3-statsmodels python3-jinja2 python3-plotly
  python3-jsonschema python3-pytest python3-yaml
  libhwloc-dev hwloc libcli11-dev libtbb-dev  # numa/ (topology, placement), gmpkit-stress, the oneTBB NUMA peer
  clang-14  # the fuzz preset (libFuzzer); fuzz/nightly tests use python3-pytest above
)

# ci/report only: the peers (Go 1.19, oneTBB, Boost.Fiber) and hwloc for the
# machine fingerprint's topology.
GMPKIT_REPORT_PACKAGES=(golang-1.19-go libtbb-dev libboost-fiber-dev hwloc)

# ci/test for presets without sanitizers: the report's end-to-end test loads
# the HTML in headless Chromium (large: not installed for asan/tsan).
GMPKIT_E2E_PACKAGES=(chromium)

ensure_packages() {
  local missing=() p
  for p in "${GMPKIT_PACKAGES[@]}" "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "ci: installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}
