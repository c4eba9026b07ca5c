#!/usr/bin/env bash
# Set up, then try the bundled garments on the bundled photo: results in out/demo/.
# Where the real test photos are present (../shared/realdata, not shipped: non-commercial
# licences), also a real shopper's photo with real product photos: out/demo/real/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/fitroom demo --out out/demo "$@"
HD=../shared/realdata/hd_unpaired
if [ -f "$HD/image/03191_00.jpg" ]; then
  .venv/bin/fitroom demo --out out/demo/real --person "$HD/image/03191_00.jpg" --garments "$HD/cloth" "$@"
fi
