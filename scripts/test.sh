#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: every test under ctest in a
# normal build (unit, oracle and, as root, kernel tests), then the unit suite
# again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
BUILD_DIR="$root/build-asan" BUILD_TARGET=bpfcompat_unit_tests \
  "$root/scripts/build.sh" -DBPFCOMPAT_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$root/build-asan/tests/bpfcompat_unit_tests" --gtest_brief=1
