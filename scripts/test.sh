#!/bin/sh
# Install what is missing, build, and run every test suite: unit, integration,
# slow and fuzz-regression; then unit, integration and fuzz-regression again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build
meson test -C build --print-errorlogs --num-processes 2
./scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite slow
echo "test.sh: all suites passed"
