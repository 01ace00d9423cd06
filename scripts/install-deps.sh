#!/usr/bin/env bash
# Installs the Debian packages pullwatch needs, only those missing, and says which.
#   scripts/install-deps.sh [build|test|bench|fuzz]...   (build is always included)
set -euo pipefail

want=(libpcre2-dev zlib1g-dev libisal-dev libsqlite3-dev pkg-config)
for group in "$@"; do
  case "$group" in
    build) ;;
    test) want+=(systemd-journal-remote bc rsyslog curl bsdutils) ;;
    bench) want+=(pigz isal ripgrep time bc) ;;
    fuzz) want+=() ;;
    *) echo "install-deps: unknown group '$group'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
