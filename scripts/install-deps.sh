#!/bin/sh
# Install the Debian 12 packages libmatch needs to build, test and benchmark.
# Idempotent and fast: when everything is present it only asks dpkg.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc libc6-dev
  libjpeg62-turbo-dev libpng-dev zlib1g-dev
  libheif-dev libdeflate-dev libjxl-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libwebp-dev
  liblmdb-dev lmdb-utils
  libarchive-dev
  libopenmpi-dev openmpi-bin
  libcurl4-openssl-dev libssl-dev libxml2-dev openssl
  python3
  libmicrohttpd-dev libjansson-dev curl python3-pytest python3-setuptools python3-wheel
"
# Optional extras (fuzzing with clang/libFuzzer, FAISS for bench/search): LM_INSTALL_EXTRAS=1.
if [ "${LM_INSTALL_EXTRAS:-0}" = 1 ]; then
  PACKAGES="$PACKAGES clang libclang-rt-14-dev libfaiss-dev valgrind wrk"
fi

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
