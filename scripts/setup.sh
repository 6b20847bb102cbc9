#!/usr/bin/env bash
# Installs everything mfaenv's tests need on a fresh Debian machine (as root),
# then the package itself with its test extras. Safe to run again.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."

need_apt=()
for pkg in bash dash zsh ksh fish tcsh elvish xonsh wine; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${need_apt[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi
# nushell: the npm package ships the binary.
command -v nu >/dev/null 2>&1 || npm install -g --silent nushell
# A virtual environment in the checkout keeps the tests off the system Python.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'
