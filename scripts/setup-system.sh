#!/usr/bin/env bash
# System packages of the submission service's tests (Debian): a PostgreSQL server, a Redis server,
# Chromium for the browser tests and a CJK font for their screenshots. Idempotent: installs only
# what is missing, and only when running as root with apt-get available; otherwise it does nothing.
set -euo pipefail
PACKAGES=(postgresql redis-server chromium fonts-noto-cjk)
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  exit 0
fi
missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "setup-system: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The tests start their own throwaway servers; the distribution's services are not needed.
for service in redis-server postgresql; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done
