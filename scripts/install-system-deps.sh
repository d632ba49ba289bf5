#!/usr/bin/env bash
# Installs the Debian packages the tests need (Chromium for browser tests, PostgreSQL,
# redis-server for the Redis bus, nginx for the load-balancer tests, espeak-ng and sox to speak
# test phrases such as card numbers), only those missing, so a second run costs nothing.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v sox >/dev/null 2>&1 || need+=(sox)  # telephone copies of the real voices in tests
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
# Debian installs nginx in /usr/sbin, which is not on a normal user's PATH.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v sox >/dev/null 2>&1 || need+=(sox)
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
