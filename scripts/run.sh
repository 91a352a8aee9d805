#!/usr/bin/env bash
# The main job: set up, build, and inspect every object of the bundled corpus
# plus the real-world objects installed from Debian packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root/build"
echo "== bundled corpus (built from corpus/ by clang) =="
./bpfcompat inspect --summary corpus/*/*.o
echo
echo "== real-world objects (cilium/ebpf testdata, libxdp) =="
shopt -s nullglob
real=(/usr/share/gocode/src/github.com/cilium/ebpf/testdata/*.elf
      /usr/share/gocode/src/github.com/cilium/ebpf/btf/testdata/*.elf
      /usr/lib/x86_64-linux-gnu/bpf/*.o)
# Intentionally invalid cilium objects fail with their error; that is expected.
./bpfcompat inspect --summary "${real[@]}" || true
