#!/usr/bin/env bash
# Installs the Debian packages pullwatch needs, only those missing, and says which.
#   scripts/install-deps.sh [build|test|bench|fuzz]...   (build is always included)
set -euo pipefail

want=(libpcre2-dev zlib1g-dev libisal-dev libsqlite3-dev pkg-config)
for group in "$@"; do
  case "$group" in
    build) ;;
    # rsyslog-gnutls: rsyslog's TLS driver; prometheus: the server and promtool; the libraries
    # syslog-ng needs (syslog-ng itself conflicts with rsyslog: unpacked below, not installed).
    test) want+=(systemd-journal-remote bc rsyslog rsyslog-gnutls curl bsdutils openssl prometheus
                 libivykis0 libnet1 libpcre3 libwrap0 libjson-c5 libglib2.0-0) ; test=1 ;;
    bench) want+=(pigz isal ripgrep time bc) ;;
    fuzz) want+=(python3-yaml) ;;   # Fuzz/run.sh reads the rules' patterns as seeds
    *) echo "install-deps: unknown group '$group'" >&2; exit 2 ;;
  esac
done

test=${test:-0}
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# For the tests: syslog-ng (Debian's, unpacked into .deps/syslog-ng) and kubernetes-validate (PyPI).
extras() {
  [ "$test" = 1 ] || return 0
  local root
  root="$(cd "$(dirname "$0")/.." && pwd)/.deps/syslog-ng"
  if [ ! -x "$root/usr/sbin/syslog-ng" ]; then
    echo "install-deps: unpacking Debian's syslog-ng-core into $root"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download syslog-ng-core >/dev/null 2>&1) || { apt-get update -qq && (cd "$tmp" && apt-get download syslog-ng-core >/dev/null); }
    mkdir -p "$root" && dpkg -x "$tmp"/syslog-ng-core_*.deb "$root" && rm -rf "$tmp"
  fi
  if ! python3 -c 'import kubernetes_validate, yaml' 2>/dev/null; then
    echo "install-deps: installing kubernetes-validate from PyPI"
    python3 -m pip install -q kubernetes-validate 2>/dev/null || python3 -m pip install -q --break-system-packages kubernetes-validate
  fi
}
[ ${#missing[@]} -eq 0 ] && { extras; exit 0; }

echo "install-deps: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
extras
