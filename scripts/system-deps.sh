#!/usr/bin/env bash
# Installs the Debian packages the suites and the reference deployment need:
# chromium (browser checks), bubblewrap (code-execution sandbox), php-cli (PHP examples),
# postgresql and redis-server (the predeploy database/Redis checks' tests start their own).
# Idempotent: does nothing when everything is present. Needs root (or sudo) and apt-get.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -n "${PYTEST_RELEASE_CHROMIUM:-}" ] || need+=(chromium)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v php >/dev/null 2>&1 || need+=(php-cli)
command -v psql >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "pytest-release: missing system packages: ${need[*]}" >&2
  echo "  This is not a Debian/Ubuntu machine: install them with your package manager," >&2
  echo "  or point PYTEST_RELEASE_CHROMIUM at a Chromium binary." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "pytest-release: missing system packages: ${need[*]}; run as root: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
echo "pytest-release: installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
