#!/usr/bin/env bash
# Reproduce fitroom's shipped learned try-on weights (src/fitroom/weights/{warp-flow,tryon-unet}):
# render the synthetic training set, train the warp, then the generator against the frozen warp.
#
#   bash scripts/train_models.sh RUN_DIR            # defaults: what the shipped weights used
#   COUNT=2000 WARP_MIN=20 TRYON_MIN=60 DEVICE=cpu bash scripts/train_models.sh runs/cpu
#
# Environment: FITROOM (the fitroom command; default .venv/bin/fitroom), DEVICE (auto|cpu|cuda),
# COUNT (training samples), SEED (data seed; the held-out test set uses seed 7, never this one),
# WORKERS (DataLoader processes), BATCH, WARP_MIN / TRYON_MIN (wall-clock budgets in minutes),
# WARP_STEPS / TRYON_STEPS (step caps), INIT (a folder with warp/ and tryon/ saved models to
# fine-tune from, e.g. an earlier RUN_DIR), SKIP_WARP=1 (keep INIT's warp, train the generator only), WARP_TV (flow smoothness weight), LR (both nets' lr_g),
# FLOW (weight of the warp's end-point error against the synthetic data's exact flow; default 0).
set -euo pipefail
RUN=${1:?usage: train_models.sh RUN_DIR}
FITROOM=${FITROOM:-.venv/bin/fitroom}
DEVICE=${DEVICE:-auto}
COUNT=${COUNT:-20000}
SEED=${SEED:-11}
WORKERS=${WORKERS:-8}
BATCH=${BATCH:-32}
WARP_MIN=${WARP_MIN:-2.3}
TRYON_MIN=${TRYON_MIN:-5}
WARP_STEPS=${WARP_STEPS:-100000}
TRYON_STEPS=${TRYON_STEPS:-100000}
INIT=${INIT:-}
WARP_TV=${WARP_TV:-0.05}
FLOW=${FLOW:-0}
LR=${LR:-2e-4}
mkdir -p "$RUN"
T0=$(date +%s)
if [ ! -f "$RUN/data/meta.jsonl" ]; then
  $FITROOM data synth --out "$RUN/data" --count "$COUNT" --size 256x192 --seed "$SEED"
fi
T1=$(date +%s)
COMMON=(--device "$DEVICE" data.num_workers="$WORKERS" train.batch_size="$BATCH"
        train.log_every=50 train.sample_every=500 train.keep_checkpoints=1 optim.lr_g="$LR")
WARP_INIT=(); TRYON_INIT=()
if [ -n "$INIT" ]; then WARP_INIT=(train.init_from="$INIT/warp"); TRYON_INIT=(train.init_from="$INIT/tryon"); fi
if [ -n "${SKIP_WARP:-}" ]; then
  [ -n "$INIT" ] || { echo "SKIP_WARP needs INIT (a folder with warp/)" >&2; exit 2; }
  mkdir -p "$RUN/warp" && cp -r "$INIT/warp" "$RUN/warp/final"
else
  $FITROOM train warp --config configs/warp.yaml --data "$RUN/data" --out "$RUN/warp" "${COMMON[@]}" \
    train.steps="$WARP_STEPS" train.max_minutes="$WARP_MIN" train.val_every=500 train.ckpt_every=100000 \
    loss.tv="$WARP_TV" loss.flow="$FLOW" "${WARP_INIT[@]}"
fi
T2=$(date +%s)
$FITROOM train tryon --config configs/tryon.yaml --data "$RUN/data" --out "$RUN/tryon" "${COMMON[@]}" \
  train.steps="$TRYON_STEPS" train.max_minutes="$TRYON_MIN" train.val_every=500 train.ckpt_every=100000 \
  model.params.warp_checkpoint="$RUN/warp/final" "${TRYON_INIT[@]}"
T3=$(date +%s)
printf '{"data_s": %d, "warp_s": %d, "tryon_s": %d, "count": %d, "seed": %d, "batch": %d, "device": "%s", "init": "%s"}\n' \
  $((T1 - T0)) $((T2 - T1)) $((T3 - T2)) "$COUNT" "$SEED" "$BATCH" "$DEVICE" "$INIT" > "$RUN/timing.json"
cat "$RUN/timing.json"
