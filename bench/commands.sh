#!/usr/bin/env bash
# Item 6 of docs/performance.md: whole commands, process start-up included,
# as a user or a start-up script runs them. The in-process benchmarks cannot
# see what happens before main() (dynamic linking, relocations), and a loader
# in a start-up path pays it on every run.
#   bpfcompat convert OBJ -o OUT   vs  bpftool gen object OUT OBJ
#   bpfcompat load OBJ (as root)   vs  bpftool prog loadall OBJ DIR
# Per object: the best of three batches of RUNS (default 10) runs, in ms per
# run. bpftool must pin what it loads (it exits right after), so its load does
# one more bpf() call per program; ours closes everything at exit.
# Usage: commands.sh BUILD_DIR WORK_DIR OBJECT...
set -euo pipefail
build=$1 work=$2
shift 2
runs=${RUNS:-10}
bpffs=/sys/fs/bpf

# Milliseconds per run of "$@" (best batch), or "fails" if any run fails.
per_run() {
  local best="" start end t i
  for _ in 1 2 3; do
    start=$(date +%s%N)
    for ((i = 0; i < runs; i++)); do
      "$@" >/dev/null 2>&1 || { echo fails; return; }
      [[ -n ${after_each:-} ]] && $after_each
    done
    end=$(date +%s%N)
    t=$(((end - start) / runs))
    [[ -z $best || $t -lt $best ]] && best=$t
  done
  awk -v ns="$best" 'BEGIN { printf "%.2f", ns / 1e6 }'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "fails" || b == "fails" || b == 0) print "-"; else printf "%.2f", a / b }'
}

echo "### 6. Whole commands, process start included"
echo
echo "Milliseconds per run (best of three batches of $runs)."
echo
echo "| command | ours ms | bpftool ms | ours/bpftool |"
echo "|---|---:|---:|---:|"
row() { # label ours bpftool
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"
}
row "start-up only: \`bpfcompat help\` / \`bpftool version\`" \
  "$(per_run "$build/bpfcompat" help)" "$(per_run bpftool version)"
out=$work/commands.o
for obj in "$@"; do
  name=$(basename "$obj")
  row "convert \`$name\` / \`gen object\`" \
    "$(per_run "$build/bpfcompat" convert "$obj" -o "$out" --quiet)" \
    "$(per_run bpftool gen object "$out" "$obj")"
done
if [[ $(id -u) -ne 0 ]]; then
  echo
  echo "Loads not measured: not root."
  exit 0
fi
# Our load pins nothing of these objects (no pinning convention); bpftool
# pins every program into a directory it creates, removed after each run.
pins=$bpffs/bpfcompat-commands-$$
remove_pins() { rm -rf "$pins"; }
trap remove_pins EXIT
for obj in "$@"; do
  name=$(basename "$obj")
  ours=$(per_run "$build/bpfcompat" load "$obj")
  after_each=remove_pins
  theirs=$(per_run bpftool prog loadall "$obj" "$pins")
  after_each=
  row "load \`$name\` / \`prog loadall\`" "$ours" "$theirs"
done
echo
