#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: every test under ctest in a
# normal build (unit, oracle and, as root, kernel tests), a sample of the
# unit suite under valgrind, then one clang build with AddressSanitizer +
# UndefinedBehaviorSanitizer + libFuzzer coverage that runs the whole unit
# suite and every fuzz target for a short time (docs/hardening.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")

echo "== unit test sample under valgrind =="
valgrind --quiet --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite \
  "$root/build/tests/bpfcompat_unit_tests" --gtest_brief=1 \
  --gtest_filter='Btf*:ElfFile*:ReaderErrors.Relocation*:ReaderErrors.BtfType*'

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
CC=clang CXX=clang++ BUILD_DIR="$root/build-asan" \
  BUILD_TARGET="bpfcompat_unit_tests fuzzers" \
  "$root/scripts/build.sh" -DBPFCOMPAT_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$root/build-asan/tests/bpfcompat_unit_tests" --gtest_brief=1

echo "== fuzz targets, ${BPFCOMPAT_FUZZ_SECONDS:=20} s each =="
BPFCOMPAT_FUZZ_SEED=${BPFCOMPAT_FUZZ_SEED:-1} \
  "$root/scripts/fuzz.sh" all "$BPFCOMPAT_FUZZ_SECONDS"
