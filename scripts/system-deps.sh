#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing and we are root (as on the
# project's machines). Elsewhere it only says what is missing; those tests then skip, naming it.
set -uo pipefail

want=()
command -v chromium >/dev/null 2>&1 || want+=(chromium)
case "${DATABASE_URL:-}" in
  postgres*) command -v pg_ctlcluster >/dev/null 2>&1 || want+=(postgresql) ;;
esac
case "${SIAGA_BUS:-}" in
  redis*) command -v redis-server >/dev/null 2>&1 || want+=(redis-server) ;;
esac
[ ${#want[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
    || echo "system-deps: could not install ${want[*]}; the tests that need them will skip"
else
  echo "system-deps: missing ${want[*]} (not root); the tests that need them will skip"
fi
exit 0
