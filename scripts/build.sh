#!/usr/bin/env bash
# Configures and builds into BUILD_DIR (default: build); BUILD_TARGET limits
# the build to some targets (space-separated). Extra arguments go to cmake's
# configure step, e.g. -DBPFCOMPAT_SANITIZE=ON.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# BUILD_TARGET may name several targets, separated by spaces.
# shellcheck disable=SC2086
cmake --build "$build_dir" -j "$(nproc)" ${BUILD_TARGET:+--target $BUILD_TARGET}
