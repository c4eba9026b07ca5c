"""Training curves of fitroom runs as one PNG (PIL only; the same scalars TensorBoard shows).

    .venv/bin/python scripts/plot_curves.py RUN_DIR [RUN_DIR ...] -o curves.png [--keys loss g_ssim ...]

Reads each run's ``scalars.jsonl`` (what ``fitroom train`` logs next to its TensorBoard
events); one panel per key, train (thin) and validation (thick, dots) against the step.
Runs given in order are laid end to end (a fine-tuned run continues its parent's steps).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image, ImageDraw

W, H, PAD = 460, 260, 46


def _series(runs: list[Path], key: str) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {"train": [], "val": []}
    offset = 0
    for run in runs:
        recs = [json.loads(line) for line in (run / "scalars.jsonl").read_text().splitlines() if line.strip()]
        last = 0
        for r in recs:
            if key in r and r["split"] in out:
                out[r["split"]].append((offset + r["step"], float(r[key])))
            last = max(last, r["step"])
        offset += last
    return out


def _panel(title: str, series: dict[str, list[tuple[int, float]]]) -> Image.Image:
    im = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(im)
    pts = series["train"] + series["val"]
    d.text((PAD, 6), title, fill="black")
    if not pts:
        d.text((PAD, H // 2), "no data", fill="grey")
        return im
    x0, x1 = 0, max(p[0] for p in pts) or 1
    ys = sorted(p[1] for p in pts)
    y0, y1 = ys[0], ys[int(0.98 * (len(ys) - 1))]  # clip the first spikes
    y1 = y1 if y1 > y0 else y0 + 1e-6

    def xy(s: int, v: float) -> tuple[float, float]:
        v = min(max(v, y0), y1)
        return PAD + (s - x0) / (x1 - x0) * (W - PAD - 10), H - 26 - (v - y0) / (y1 - y0) * (H - 52)

    d.rectangle([PAD, 26, W - 10, H - 26], outline="#999")
    for frac in (0, 0.5, 1):
        v = y0 + frac * (y1 - y0)
        _, y = xy(0, v)
        d.text((2, y - 6), f"{v:.3g}", fill="#555")
    d.text((W - 80, H - 20), f"step {x1}", fill="#555")
    if len(series["train"]) > 1:
        d.line([xy(*p) for p in series["train"]], fill="#4a7fd4", width=1)
    if series["val"]:
        if len(series["val"]) > 1:
            d.line([xy(*p) for p in series["val"]], fill="#d4602a", width=3)
        for p in series["val"]:
            x, y = xy(*p)
            d.ellipse([x - 3, y - 3, x + 3, y + 3], fill="#d4602a")
    d.text((W - 150, 6), "train", fill="#4a7fd4")
    d.text((W - 100, 6), "validation", fill="#d4602a")
    return im


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--keys", nargs="+", default=None, help="scalars to plot (default: every loss key)")
    ap.add_argument("--title", default="")
    args = ap.parse_args(argv)
    for run in args.runs:
        if not (run / "scalars.jsonl").is_file():
            ap.error(f"{run} has no scalars.jsonl (is it a 'fitroom train' run folder?)")
    keys = args.keys
    if not keys:
        first = json.loads((args.runs[0] / "scalars.jsonl").read_text().splitlines()[0])
        keys = [k for k in first if k not in ("step", "split", "time", "it_per_s")]
    panels = [_panel(f"{args.title} {k}".strip(), _series(args.runs, k)) for k in keys]
    cols = 2
    rows = (len(panels) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * W, rows * H), "white")
    for i, p in enumerate(panels):
        sheet.paste(p, ((i % cols) * W, (i // cols) * H))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
