#!/usr/bin/env bash
# The main job: set up, build, then on the bundled corpus and the real-world
# objects installed from Debian packages (cilium/ebpf testdata, libxdp):
# inspect every object, convert every readable one to a libbpf 1.x-style
# object with its report under build/converted/, and check them all in one
# batch run (with the kernel stages when run as root), including the BPF
# skeletons embedded in this machine's binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root/build"
shopt -s nullglob
corpus=(corpus/*/*.o)
real=(/usr/share/gocode/src/github.com/cilium/ebpf/testdata/*.elf
      /usr/share/gocode/src/github.com/cilium/ebpf/btf/testdata/*.elf
      /usr/lib/x86_64-linux-gnu/bpf/*.o)

echo "== inspect: bundled corpus (built from corpus/ by clang) =="
./bpfcompat inspect --summary "${corpus[@]}" || true
echo
echo "== inspect: real-world objects =="
./bpfcompat inspect --summary "${real[@]}" || true
echo
echo "== convert to libbpf 1.x style (build/converted/, reports beside) =="
# Objects their own loader refuses (the summaries above say which) are
# reported and skipped: their errors are the result.
mkdir -p converted
rm -f converted/summary.txt
converted=0 failed=0
for object in "${corpus[@]}" "${real[@]}"; do
  name=$(basename "$object")
  name=${name%.*}
  if ./bpfcompat inspect --summary "$object" >/dev/null 2>&1 &&
     ./bpfcompat convert "$object" -o "converted/$name.o" \
       --report "converted/$name.report.yaml" 2>>converted/summary.txt; then
    converted=$((converted + 1))
  else
    failed=$((failed + 1))
  fi
done
grep -v '^  ' converted/summary.txt || true
rm -f converted/summary.txt
echo
echo "converted $converted objects; $failed skipped (refused by their own loader)"
echo
echo "== check: every object in one batch run =="
kernel=()
[[ $(id -u) -eq 0 ]] && kernel=(--kernel)
# Objects their own loader refuses are expected failures here too.
./bpfcompat check "${kernel[@]}" --fail-on none --quiet corpus "${real[@]}"
echo
echo "== check --scan-embedded: BPF skeletons inside /usr/sbin =="
./bpfcompat check --scan-embedded --quiet /usr/sbin
