#!/usr/bin/env bash
# Fine-tune the shipped learned try-on (warp-flow + tryon-unet) on real people: self-supervised
# reconstruction of real photos from their own try-off, mixed with synthetic pairs.
#
#   bash scripts/train_real.sh RUN_DIR
#
# 1. the real set: `fitroom data real` on ../shared/realpeople (fitroom's own analysis; the
#    pseudo product photo of every person is the try-off of what they wear);
# 2. synthetic pairs (seed 11, as the shipped weights), for the exact flow of prints and stripes;
# 3. RUN_DIR/data: a collection of both (read_dataset reads every member's train/test split);
# 4. the warp fine-tuned from the shipped warp, then the generator from the shipped generator
#    against that warp, frozen.
#
# Environment: FITROOM, DEVICE (cpu|cuda|auto), REAL (real photos folder), SYNTH_COUNT, WORKERS,
# BATCH, WARP_MIN / TRYON_MIN (wall-clock budgets in minutes), LR, INIT (folder with warp/ and
# tryon/; default the shipped weights). Weights trained on ../shared/realpeople are CC BY-NC 4.0.
set -euo pipefail
RUN=${1:?usage: train_real.sh RUN_DIR}
FITROOM=${FITROOM:-.venv/bin/fitroom}
DEVICE=${DEVICE:-auto}
REAL=${REAL:-../shared/realpeople/image}
SYNTH_COUNT=${SYNTH_COUNT:-2000}
WORKERS=${WORKERS:-1}
BATCH=${BATCH:-8}
WARP_MIN=${WARP_MIN:-15}
TRYON_MIN=${TRYON_MIN:-60}
LR=${LR:-1e-4}
INIT=${INIT:-src/fitroom/weights/learned}
mkdir -p "$RUN/data"
T0=$(date +%s)
[ -f "$RUN/sets/real/real.json" ] || $FITROOM data real --images "$REAL" --out "$RUN/sets/real"
[ -f "$RUN/sets/synth/meta.jsonl" ] || $FITROOM data synth --out "$RUN/sets/synth" --count "$SYNTH_COUNT" --size 256x192 --seed 11
ln -sfn "$(cd "$RUN/sets/real" && pwd)" "$RUN/data/real"
ln -sfn "$(cd "$RUN/sets/synth" && pwd)" "$RUN/data/synth"
T1=$(date +%s)
COMMON=(--device "$DEVICE" --data "$RUN/data" data.dataset=real+synth data.num_workers="$WORKERS"
        train.batch_size="$BATCH" train.log_every=25 train.val_every=250 train.sample_every=250
        train.ckpt_every=250 train.keep_checkpoints=1 optim.lr_g="$LR" train.steps=100000)
if [ ! -d "$RUN/warp/final" ]; then
  $FITROOM train warp --config configs/warp.yaml --out "$RUN/warp" "${COMMON[@]}" \
    train.max_minutes="$WARP_MIN" train.init_from="$INIT/warp"
fi
T2=$(date +%s)
$FITROOM train tryon --config configs/tryon.yaml --out "$RUN/tryon" "${COMMON[@]}" \
  train.max_minutes="$TRYON_MIN" train.init_from="$INIT/tryon" optim.lr_d="$(python3 -c "print(2 * $LR)")" \
  model.params.warp_checkpoint="$RUN/warp/final"
T3=$(date +%s)
printf '{"data_s": %d, "warp_s": %d, "tryon_s": %d, "synth_count": %d, "batch": %d, "lr": "%s", "device": "%s", "init": "%s"}\n' \
  $((T1 - T0)) $((T2 - T1)) $((T3 - T2)) "$SYNTH_COUNT" "$BATCH" "$LR" "$DEVICE" "$INIT" > "$RUN/timing.json"
cat "$RUN/timing.json"
