#!/usr/bin/env bash
# Set up, then start the fitting room (web app + HTTP API) and print the address to open.
# Extra arguments go to 'fitroom serve' (e.g. --port 8080, --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fitroom serve "$@"
