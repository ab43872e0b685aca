#!/bin/sh
# pmatch serve on the demo list (made by scripts/demo.sh when missing): start it on a free
# loopback port, check an upload and look up a hash with curl, then stop it (SIGTERM).
set -eu
cd "$(dirname "$0")/.."
[ -d demo-output/hashes.lmdb ] || ./scripts/demo.sh >/dev/null
./scripts/build.sh build >/dev/null
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
./build/cli/pmatch serve --db demo-output/hashes.lmdb --port 0 --port-file "$tmp/port" \
    2>"$tmp/log" &
pid=$!
while [ ! -s "$tmp/port" ]; do kill -0 "$pid" || { cat "$tmp/log"; exit 2; }; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")"
img=$(ls demo-output/incoming/*variant* | head -n 1)
echo "== curl --data-binary @$img $url/v1/check"
curl -sS --data-binary @"$img" "$url/v1/check"; echo
hash=$(head -n 1 demo-output/known.pdq | cut -d, -f1)
echo "== curl '$url/m/lookup?signal_type=pdq&signal=$hash'   (HMA's lookup)"
curl -sS "$url/m/lookup?signal_type=pdq&signal=$hash"; echo
echo "== curl -F photo=@$img $url/h/hash   (HMA's hash)"
curl -sS -F photo=@"$img" "$url/h/hash"; echo
kill -TERM "$pid"; wait "$pid"
echo "== service log (JSON lines, no content):"; cat "$tmp/log"
