#!/usr/bin/env bash
# Set up, then try the bundled garments on the bundled photo: results in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/fitroom demo --out out/demo "$@"
