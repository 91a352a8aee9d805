#!/usr/bin/env bash
# Item 4 of docs/performance.md: `bpfcompat check` throughput in objects/s,
# with -j 1 and -j $(nproc), against a libbpf bpf_object__open_file +
# bpf_object__close loop over the same files in one process. `check` checks
# identical objects once, so each listed object is copied CHECK_REPEAT times
# (default 20) with a distinct trailing byte string after the ELF data, which
# no reader looks at: a couple of thousand distinct objects. Best of three
# runs each. Prints a markdown table.
# Usage: check_throughput.sh BUILD_DIR WORK_DIR LIST...
set -euo pipefail
build=$1 work=$2
shift 2
repeat=${CHECK_REPEAT:-20}
mapfile -t once < <(cat "$@")
mkdir -p "$work/check"
files=()
for ((i = 0; i < repeat; i++)); do
  for ((k = 0; k < ${#once[@]}; k++)); do
    copy="$work/check/$i-$k-$(basename "${once[k]}")"
    { cat "${once[k]}"; printf 'copy %d' "$i"; } >"$copy"
    files+=("$copy")
  done
done

echo "### 4. \`check\` throughput"
echo
if ! "$build/bpfcompat" help 2>&1 | grep -q "^  check "; then
  echo "Not measured: this build has no \`bpfcompat check\`."
  exit 0
fi

# Best wall time of three runs of "$@", in seconds.
best_of_3() {
  local best="" start end t
  for _ in 1 2 3; do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true # failed checks are results, not errors
    end=$(date +%s%N)
    t=$(((end - start) / 1000))
    [[ -z $best || $t -lt $best ]] && best=$t
  done
  awk -v us="$best" 'BEGIN { printf "%.3f", us / 1e6 }'
}

# Objects the JSON report says were checked (its summary.objects).
checked() {
  sed -n 's/.*"objects": *\([0-9][0-9]*\).*/\1/p' "$1" | head -1
}

jobs=$(nproc)
# Two sets: every copy, and only those libbpf opens. On the rest (legacy maps,
# the other byte order) libbpf's open fails within microseconds while check
# reads and converts them, so the second set is the like-for-like one.
mapfile -t opened < <("$build/bench/bpfcompat_bench" --list-opened "${files[@]}")
echo "${#files[@]} distinct objects (${#once[@]} objects x $repeat copies); libbpf opens ${#opened[@]} of them."
echo "\`check\` does more per object than libbpf's open: detect, read, convert, and libbpf's"
echo "open of the converted output (reopen); see docs/check.md. Both processes start"
echo "the same way (LLVM linked statically into both, libbpf dynamically)."
echo
echo "| objects | run | seconds | objects/s | time vs libbpf open loop |"
echo "|---|---|---:|---:|---:|"
for set in all opened; do
  if [[ $set == all ]]; then list=("${files[@]}"); else list=("${opened[@]}"); fi
  label="$set (${#list[@]})"
  libbpf_s=$(best_of_3 "$build/bench/bpfcompat_bench" --open-loop "${list[@]}")
  row() { # label seconds
    awk -v set="$label" -v l="$1" -v s="$2" -v n="${#list[@]}" -v b="$libbpf_s" \
      'BEGIN { printf "| %s | %s | %.3f | %.0f | %.2f |\n", set, l, s, n / s, s / b }'
  }
  row "libbpf open+close loop, 1 thread" "$libbpf_s"
  for j in 1 "$jobs"; do
    s=$(best_of_3 "$build/bpfcompat" check -j "$j" --format json \
      -o "$work/check.json" "${list[@]}")
    row "bpfcompat check -j $j ($(checked "$work/check.json") in report)" "$s"
  done
done
echo
