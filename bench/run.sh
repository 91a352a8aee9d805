#!/usr/bin/env bash
# One command for every performance figure in docs/performance.md: sets up,
# builds, generates the synthetic objects, runs bpfcompat_bench (ours vs
# libbpf, Google Benchmark) and the `check` throughput runs, and prints one
# markdown report on stdout (progress on stderr). Loads are measured as root.
#   bench/run.sh              # full run, a few minutes
#   BENCH_FLAGS="--benchmark_min_time=0.01" bench/run.sh   # quick look
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/setup.sh" >&2
for target in corpus bpfcompat bpfcompat_bench; do
  BUILD_TARGET=$target "$root/scripts/build.sh" >&2
done

work=$(mktemp -d /tmp/bpfcompat-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "bench: generating objects in $work" >&2
"$root/bench/generate.sh" "$work/gen" >&2

shopt -s nullglob
lib="/usr/lib/$(gcc -dumpmachine)/bpf"
cilium=/usr/share/gocode/src/github.com/cilium/ebpf
printf '%s\n' "$build"/corpus/*/*.o >"$work/corpus.list"
printf '%s\n' "$cilium"/testdata/*.elf "$cilium"/btf/testdata/*.elf >"$work/cilium.list"
printf '%s\n' "$lib"/*.o >"$work/libxdp.list"
printf '%s\n' "$work/gen/btf_heavy.o" >"$work/btf-heavy.list"
printf '%s\n' "$work"/gen/scale-{1,10,100,1000}.o >"$work/scale.list"

cat <<EOH
## Benchmark run $(date -u '+%Y-%m-%d %H:%M UTC')

- Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(free -g | awk '/^Mem:/ { print $2 }') GiB;
  kernel $(uname -r); load average at start $(cut -d' ' -f1-3 /proc/loadavg)
- libbpf $(pkg-config --modversion libbpf), $(bpftool version | head -1), $("$(command -v clang-14 || command -v clang)" --version | head -1)
- Times are medians of Google Benchmark repetitions, in µs; ratios are ours / peer
  measured in the same run, so they survive a busy machine better than the times.

EOH

flags=(--benchmark_min_time=0.1 --benchmark_repetitions=3
       --benchmark_report_aggregates_only=true)
[[ -n ${BENCH_FLAGS:-} ]] && read -r -a flags <<<"$BENCH_FLAGS"
load=()
[[ $(id -u) -eq 0 ]] && load=(--load)
"$build/bench/bpfcompat_bench" "${flags[@]}" "${load[@]}" \
  --objects=corpus:"$work/corpus.list" --objects=cilium:"$work/cilium.list" \
  --objects=libxdp:"$work/libxdp.list" \
  --objects=btf-heavy:"$work/btf-heavy.list" --objects=scale:"$work/scale.list"

"$root/bench/check_throughput.sh" "$build" "$work" \
  "$work/corpus.list" "$work/cilium.list" "$work/libxdp.list"

"$root/bench/commands.sh" "$build" "$work" \
  "$build/corpus/libbpf/global_data.g.o" "$lib/xdp-dispatcher.o" \
  "$work/gen/scale-100.o" "$work/gen/btf_heavy.o"
