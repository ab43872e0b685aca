#!/bin/sh
# Configure (once) and build libmatch in ./build (or the directory given as $1).
set -eu
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift 2>/dev/null || true
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@"
fi
meson compile -C "$dir"
