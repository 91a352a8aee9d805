#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: everything under ctest in a
# normal build, then the unit tests again under AddressSanitizer + UBSan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
BUILD_DIR="$root/build-asan" "$root/scripts/build.sh" -DBPFCOMPAT_SANITIZE=ON
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)")
