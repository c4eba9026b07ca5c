#!/usr/bin/env bash
# Set up, then run the whole test suite (slow and real-data tests included; the real-data
# tests read ../shared/realdata and skip with a reason when it is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
