# Sourced by ci/* scripts: the Debian packages gmpkit builds and tests with.
GMPKIT_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libboost-context-dev libclang-rt-14-dev
  libunwind-dev gdb  # goroutine dumps (dlopen libunwind.so.8), the gdb script test
  nlohmann-json3-dev
)

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
