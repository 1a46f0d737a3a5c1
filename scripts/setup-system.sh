#!/usr/bin/env bash
# System packages (Debian): bubblewrap and util-linux (setpriv, runuser) for the grader's sandbox
# and the PostgreSQL tests, and for the submission service's tests a PostgreSQL server, a Redis
# server, Chromium for the browser tests and a CJK font for their screenshots. Idempotent: installs
# only what is missing, and only when running as root with apt-get available; otherwise it does nothing.
set -euo pipefail
PACKAGES=(bubblewrap util-linux postgresql redis-server chromium fonts-noto-cjk)
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  exit 0
fi
# runuser lives in /usr/sbin, which a non-login shell's PATH may lack: the tests call it by name.
link_sbin_tools() {
  for tool in runuser setpriv; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      for dir in /usr/sbin /sbin /usr/bin; do
        if [ -x "$dir/$tool" ]; then ln -sf "$dir/$tool" "/usr/local/bin/$tool"; break; fi
      done
    fi
  done
}
trap link_sbin_tools EXIT
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
# Another apt run on the machine (a second set-up, unattended upgrades) holds the dpkg lock: wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=900)
"${APT[@]}" update -qq >/dev/null
"${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The tests start their own throwaway servers; the distribution's services are not needed.
for service in redis-server postgresql; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done
