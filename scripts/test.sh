#!/usr/bin/env bash
# The test command: set up, then run the whole suite in every real shell.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
