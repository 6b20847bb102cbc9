#!/usr/bin/env bash
# The main job, end to end: a real `mfaenv login` against a local STS emulator
# (moto's server on 127.0.0.1, started and stopped here), printed for your shell.
# Your own ~/.aws is not touched: the demo uses a temporary HOME.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]' >&2
# exec: the demo's parent is then your shell, which mfaenv detects.
exec .venv/bin/python scripts/demo.py "$@"
