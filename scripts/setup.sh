#!/usr/bin/env bash
# Installs everything bpfcompat needs from Debian packages (idempotent: only
# missing packages are installed) and prepares bpffs. Debian 12, as root.
set -euo pipefail

packages=(
  cmake g++ make pkg-config clang llvm-14-dev
  libelf-dev zlib1g-dev libyaml-cpp-dev libgtest-dev libbenchmark-dev
  libbpf-dev bpftool iproute2
  # Hardening: clang's sanitizer and libFuzzer runtimes, llvm-objcopy for
  # fuzz seeds, valgrind (docs/hardening.md).
  libclang-rt-14-dev llvm-14 valgrind
  # Real-world BPF objects the tests read: cilium/ebpf testdata, libxdp,
  # and xdp-tools, whose programs embed BPF skeletons (check --scan-embedded).
  golang-github-cilium-ebpf-dev libxdp1 xdp-tools
  # A real JUnit consumer that reads `check --format junit` in the tests.
  python3-junitparser
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Kernel-level tests and `bpfcompat load` pin into bpffs.
if [[ $(id -u) -eq 0 ]] && ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
  mount -t bpf bpf /sys/fs/bpf || echo "setup: could not mount bpffs at /sys/fs/bpf" >&2
fi
