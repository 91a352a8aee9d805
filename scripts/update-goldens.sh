#!/usr/bin/env bash
# Rewrites corpus/*/*.yaml from the current reader; review `git diff` after.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
BPFCOMPAT_UPDATE_GOLDENS=1 "$root/build/tests/bpfcompat_unit_tests" --gtest_filter='Corpus/GoldenIr.*' >/dev/null
git -C "$root" status --short corpus
