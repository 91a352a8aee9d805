#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for a time each:
#   scripts/fuzz.sh TARGET|all SECONDS
# TARGET is read, btf, convert or render (fuzz_<name>). Builds the clang
# ASan+UBSan build (build-asan, shared with the sanitized unit suite), makes
# seeds from the corpus built there and the real-world objects installed by
# setup.sh, and keeps each target's evolving corpus in
# build-asan/fuzz/corpus/<target> so repeated runs continue a campaign.
# Findings land in build-asan/fuzz/artifacts/<target>/; the exit status is
# non-zero when any target found one. BPFCOMPAT_FUZZ_SEED fixes libFuzzer's
# random seed (CI does, so its short runs are repeatable). docs/hardening.md
# has the details.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if (($# != 2)); then
  echo "usage: scripts/fuzz.sh read|btf|convert|render|all SECONDS" >&2
  exit 2
fi
targets=("$1")
[[ $1 == all ]] && targets=(read btf convert render)
seconds=$2
build=${BUILD_DIR:-$root/build-asan}

CC=clang CXX=clang++ BUILD_DIR="$build" BUILD_TARGET="fuzzers corpus" \
  "$root/scripts/build.sh" -DBPFCOMPAT_SANITIZE=ON >/dev/null

shopt -s nullglob
objects=("$build"/corpus/*/*.o
         /usr/share/gocode/src/github.com/cilium/ebpf/testdata/*.elf
         /usr/share/gocode/src/github.com/cilium/ebpf/btf/testdata/*.elf
         /usr/lib/x86_64-linux-gnu/bpf/*.o)

# Seeds are made at run time, never committed: some inputs are built from
# third-party code. The BTF target reads .BTF followed by .BTF.ext.
seeds() {
  local target=$1 dir=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  local object name
  for object in "${objects[@]}"; do
    name=$(basename "$(dirname "$object")")_$(basename "$object")
    if [[ $target == btf ]]; then
      llvm-objcopy-14 --dump-section .BTF="$dir/$name.btf" \
        --dump-section .BTF.ext="$dir/$name.ext" "$object" /dev/null \
        2>/dev/null || true
      if [[ -f $dir/$name.btf ]]; then
        cat "$dir/$name.btf" "$dir/$name.ext" >"$dir/$name" 2>/dev/null || true
      fi
      rm -f "$dir/$name.btf" "$dir/$name.ext"
    else
      cp "$object" "$dir/$name"
    fi
  done
}

status=0
for target in "${targets[@]}"; do
  binary=$build/tests/fuzz/fuzz_$target
  [[ -x $binary ]] || { echo "fuzz: no target '$target'" >&2; exit 2; }
  work=$build/fuzz
  mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
  seeds "$target" "$work/seeds/$target"
  # Limits per input: 5 s (a hang), 64 MiB in one allocation (a balloon),
  # 2 GiB resident for the process (ASan's shadow and quarantine included).
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$binary" -dict="$root/tests/fuzz/bpf.dict" -max_total_time="$seconds" \
      -timeout=5 -malloc_limit_mb=64 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" \
      ${BPFCOMPAT_FUZZ_SEED:+-seed="$BPFCOMPAT_FUZZ_SEED"} \
      "$work/corpus/$target" "$work/seeds/$target" >"$work/$target.log" 2>&1; then
    status=1
    echo "fuzz $target: FINDING (log: $work/$target.log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_|artifact_prefix|Test unit written)' \
      "$work/$target.log" | head -20 || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  units=$(find "$work/corpus/$target" -type f | wc -l)
  echo "fuzz $target: ${execs:-?} executions in ${seconds}s, corpus $units inputs"
done
exit $status
