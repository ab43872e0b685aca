#!/bin/sh
# The region stage's cost on plain pictures, by instruction count (issue 14):
# instructions inside lm_check (callgrind --toggle-collect=lm_check) for
# 'pmatch scan' of 22 of Meta's test photographs against a hash-only list,
# regions on (defaults) and off (--no-regions). Deterministic, unlike wall
# time on a shared machine. valgrind runs the AVX2 kernels (no AVX-512).
#
#   bench/robustness/region_cost.sh [BUILD_DIR] [TESTDATA_DIR]   (build, ../shared/testdata)
#
# The list (7 hashes, as text) and callgrind's outputs go to a temporary
# directory, removed at the end; no pixels are written.
set -eu
build="${1:-build}"
td="${2:-../shared/testdata}"
pm="$build/cli/pmatch"
p="$td/pdq"
tmp=$(mktemp -d /tmp/region-cost-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$pm" db init --db "$tmp/db" >/dev/null
"$pm" hash "$p"/reg-test-input/labelme-subset/*.jpg | cut -d, -f1 >"$tmp/list.hex"
"$pm" db import --db "$tmp/db" --format hex "$tmp/list.hex" >/dev/null
set -- "$p"/bridge-mods/*.jpg "$p"/reg-test-input/labelme-subset/*.jpg "$p"/misc-images/*.*
for mode in off on; do
    flag=""
    [ "$mode" = off ] && flag=--no-regions
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$mode" --toggle-collect=lm_check \
        "$pm" scan --db "$tmp/db" --quiet --jobs 1 $flag "$@" >/dev/null 2>"$tmp/vg.$mode" || true
    grep -o 'Collected : [0-9]*' "$tmp/vg.$mode" | awk '{print $3}' >"$tmp/n.$mode"
done
off=$(cat "$tmp/n.off")
on=$(cat "$tmp/n.on")
echo "$# plain pictures, instructions inside lm_check: --no-regions $off, regions $on"
awk -v a="$off" -v b="$on" 'BEGIN { printf "regions: %+.1f%%\n", 100 * (b / a - 1) }'
if [ -n "${KEEP_PROFILE:-}" ]; then
    cp "$tmp/cg.on" "$KEEP_PROFILE"
    echo "callgrind profile (regions on): $KEEP_PROFILE (callgrind_annotate --inclusive=yes)"
fi
