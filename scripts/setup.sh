#!/usr/bin/env bash
# setup.sh — install everything Sluice needs to build and test on Debian 12
# (bookworm) or 13 (trixie), then configure and build into build/.
#
#   scripts/setup.sh [--no-build]
#
# Non-interactive and idempotent: when every package is already installed it
# does not touch apt at all. On Debian 12 the one package that bookworm lacks,
# libyyjson-dev, comes from the Debian 13 suite, pinned so that nothing else
# is ever upgraded from there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=1
[ "${1:-}" = "--no-build" ] && build=0

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

packages=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    librdkafka-dev librocksdb-dev libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler
    libcurl4-openssl-dev libcmocka-dev libssl-dev libyyjson-dev
    clang kcat curl default-jre-headless maven python3 python3-venv
)

. /etc/os-release
codename=${VERSION_CODENAME:-}

missing() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return 0
    $sudo apt-get update -q
    apt_updated=1
}

if [ "$codename" = bookworm ] && [ -n "$(missing libyyjson-dev)" ]; then
    # yyjson is packaged from Debian 13 on; take just it (and its runtime,
    # which needs only libc) from trixie, with a pin that keeps every other
    # package on bookworm.
    echo "setup: adding the Debian 13 suite for libyyjson-dev (pinned, nothing else upgrades)"
    $sudo tee /etc/apt/sources.list.d/sluice-trixie.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $sudo tee /etc/apt/preferences.d/sluice-trixie >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    apt_update
    $sudo apt-get install -y -q --no-install-recommends libyyjson-dev/trixie libyyjson0/trixie
fi

todo=$(missing "${packages[@]}")
if [ -n "$todo" ]; then
    echo "setup: installing" $todo
    apt_update
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $todo
fi

# libFuzzer's runtime matches the clang version.
clang_major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
if [ -n "$clang_major" ] && [ -n "$(missing "libclang-rt-$clang_major-dev")" ]; then
    apt_update
    $sudo apt-get install -y -q --no-install-recommends "libclang-rt-$clang_major-dev"
fi

if [ "$build" = 1 ]; then
    cmake -S "$top" -B "$top/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C "$top/build"
    echo "setup: built into $top/build/bin:" $(ls "$top/build/bin")
fi
