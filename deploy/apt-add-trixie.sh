#!/bin/sh
# apt-add-trixie.sh — used by deploy/Dockerfile: add the Debian 13 (trixie)
# suite with an apt pin of priority 100, so that only packages asked for as
# NAME/trixie come from it and nothing else is ever upgraded from there
# (Debian 12 lacks libyyjson; scripts/setup.sh does the same on a machine).
# The mirror is the one the image's apt sources already use.
set -eu
# deb822 sources (the debian:12 image) first, then a one-line sources.list
uri=$( { sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
         sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
             /etc/apt/sources.list 2>/dev/null || true; } | grep -v security | head -n 1)
if [ -z "$uri" ]; then
    echo "apt-add-trixie: no Debian mirror found in the apt sources" >&2
    exit 1
fi
cat >/etc/apt/sources.list.d/sluice-trixie.sources <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat >/etc/apt/preferences.d/sluice-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
echo "apt-add-trixie: trixie from $uri, pinned at priority 100"
