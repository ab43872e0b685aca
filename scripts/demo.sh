#!/bin/sh
# The main job on an embedded default: install what is missing, build, make a
# small known-hash list (a local LMDB file) from generated benign images, then
# scan a folder holding resized/recompressed copies of some of them and
# unrelated images, and show the verdicts.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build >/dev/null

out=demo-output
rm -rf "$out"
mkdir -p "$out"
pmatch=./build/cli/pmatch
# 40 originals in $out/known, and in $out/incoming transformed copies of them
# (resized, recompressed) plus unrelated images.
./build/tests/tools/lm-make-images "$out/known" 40 --variants="$out/incoming" >/dev/null

echo "== hashing the known images"
$pmatch hash "$out"/known/* | tee "$out/known.pdq" | head -n 5
echo "   ... $(wc -l < "$out/known.pdq") hashes"

echo "== building the local hash list $out/hashes.lmdb"
$pmatch db init --db "$out/hashes.lmdb"
$pmatch db import --db "$out/hashes.lmdb" --list demo --source "lm-make-images" "$out/known.pdq"
$pmatch db stats --db "$out/hashes.lmdb"

echo "== scanning $out/incoming against it"
status=0
$pmatch scan --db "$out/hashes.lmdb" "$out/incoming" || status=$?
echo "pmatch scan exit status: $status (1 = matches found, 0 = none, 2 = error)"
[ "$status" -le 1 ]
