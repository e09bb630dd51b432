#!/usr/bin/env bash
# debian13-check.sh — build and unit-test Sluice on Debian 13 (trixie) from a
# Debian 12 machine, in a debootstrap chroot (root only; not part of CI: the
# first run downloads a base system and every build dependency, ~10 minutes).
#
#   sudo scripts/debian13-check.sh [CHROOT_DIR]     (default /srv/sluice-trixie)
#
# Runs scripts/setup.sh inside the chroot (so it checks that one too), then the
# unit tests and the integration tests against the embedded broker.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
root=${1:-/srv/sluice-trixie}
[ "$(id -u)" = 0 ] || { echo "debian13-check: run as root (chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
if [ ! -x "$root/usr/bin/apt-get" ]; then
    mkdir -p "$root"
    debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
trap 'umount "$root/proc" "$root/dev" 2>/dev/null || true' EXIT
rm -rf "$root/src" && mkdir -p "$root/src"
git -C "$top" archive HEAD | tar -x -C "$root/src"
chroot "$root" bash -c '
    set -e
    cd /src && scripts/setup.sh
    pkg-config --modversion rdkafka rocksdb libmicrohttpd yyjson | paste -sd" " | sed "s/^/versions (rdkafka rocksdb mhd yyjson): /"
    # The chart and OpenAPI checks need Go >= 1.26 and PyPI with the host
    # certificates, which the bare chroot lacks; they test no C code.
    cd build && ctest -L unit -E "^test_(helm_chart|openapi)$" --output-on-failure
    bin/sluice-devkafka >/tmp/dk.out 2>/dev/null &
    dk=$!
    for _ in $(seq 1 50); do [ -s /tmp/dk.out ] && break; sleep 0.1; done
    SLUICE_TEST_BOOTSTRAP=$(head -1 /tmp/dk.out) SLUICE_TEST_BROKER=embedded \
        ctest -L integration -E "^itest_sluicectl$" --output-on-failure
    kill "$dk"   # by pid: the chroot shares the process table of the host
'
