"""Try-off quality against real (or synthetic) product photos: SSIM and mask IoU.

For every paired sample of a dataset (the person wears the garment of the product photo):
the try-off of the person photo, and the product photo itself, framed the same way
(:func:`fitroom.pipelines.tryoff.frame_garment`: the garment's box centred with a margin, on
white) at ``--size``; then SSIM of the two images (grey, whole frame), SSIM inside the
union of the two masks, and the IoU of the masks. A baseline in the same run: the worn
garment cut out where it is worn, framed the same way (what a try-off without un-posing is).

    .venv/bin/python benchmarks/eval_tryoff.py --data ../shared/realdata --analysis given
    .venv/bin/python benchmarks/eval_tryoff.py --data ../shared/realdata --analysis own
    .venv/bin/python benchmarks/eval_tryoff.py --data data/heldout7 --split test --limit 200

Writes ``benchmarks/results/eval_tryoff_<name>.json`` (per sample and summary) and, with
``--sheet DIR``, contact sheets (person, try-off, product photo) to look at (never commit
sheets of ../shared data).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from fitroom.data.layouts import read_dataset
from fitroom.errors import FitroomError
from fitroom.eval.metrics import ssim, ssim_map
from fitroom.imaging.masks import mask_iou
from fitroom.person.analyze import analyze_person
from fitroom.pipelines import tryoff as to


def _grey(a: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)


def compare(pred: np.ndarray, pred_mask: np.ndarray, truth: np.ndarray, truth_mask: np.ndarray) -> dict:
    """SSIM (whole frame), SSIM on the garment (inside the union of the masks) and mask IoU
    of two framed garments of the same size."""
    whole = float(ssim(pred, truth))
    union = pred_mask | truth_mask
    on = float(ssim_map(pred, truth)[union].mean()) if union.any() else None
    return {"ssim": whole, "ssim_garment": on, "mask_iou": float(mask_iou(pred_mask, truth_mask))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default=None)
    ap.add_argument("--analysis", choices=("given", "own"), default="given")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--size", default="256x192", help="HxW of the compared frames")
    ap.add_argument("--name", default=None, help="results file name (default from --data and --analysis)")
    ap.add_argument("--sheet", default=None, help="folder for contact sheets")
    args = ap.parse_args(argv)
    h, w = (int(v) for v in args.size.lower().split("x"))
    samples = [s for s in read_dataset(args.data, args.split) if s.paired]
    if args.limit:
        samples = samples[: args.limit]
    rows, sheets = [], []
    for s in samples:
        row = {"subset": s.subset, "person": s.person_id}
        try:
            person = s.load_person()
            if args.analysis == "given":
                kp, parse = s.load_keypoints(), s.load_parse()
                if kp is None or parse is None:
                    raise FitroomError("the dataset has no pose or parse for this person")
                pa = analyze_person(person, keypoints=kp, parse=parse)
            else:
                pa = analyze_person(person)
            t0 = time.perf_counter()
            res = to.tryoff_analysis(pa, size=(h, w))
            row["seconds"] = time.perf_counter() - t0
            garment = s.load_garment()
            gmask = s.load_garment_mask()
            if gmask is None:
                from fitroom.garment.mask import garment_mask

                gmask = garment_mask(garment)
            if gmask.shape != garment.shape[:2]:
                gmask = cv2.resize(gmask.astype(np.uint8), garment.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
            t_img, t_mask = to.frame_garment(garment, gmask.astype(bool), (h, w))
            cut_img, cut_mask = to.frame_garment(pa.image, res.worn_mask, (h, w))
            row.update(compare(res.image, res.mask, t_img, t_mask))
            row["cutout"] = compare(cut_img, cut_mask, t_img, t_mask)
            row.update(category=res.category, sleeves=res.sleeves, completed=res.completed)
            if args.sheet:
                ph = cv2.resize(person, (round(person.shape[1] * h / person.shape[0]), h))
                sheets.append(np.hstack([ph, res.image, cut_img, t_img]))
        except FitroomError as e:
            row["error"] = f"{type(e).__name__}: {e}"
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items() if k != "cutout"}),
              flush=True)

    ok = [r for r in rows if "error" not in r]

    def mean_of(key, rs, sub=None):
        vals = [(r[sub] if sub else r)[key] for r in rs]
        vals = [v for v in vals if v is not None]
        return round(statistics.mean(vals), 4) if vals else None

    summary = {}
    for subset in sorted({r["subset"] for r in ok}) + ["all"]:
        rs = [r for r in ok if subset in ("all", r["subset"])]
        summary[subset] = {"n": len(rs), **{f"{k}_mean": mean_of(k, rs) for k in ("ssim", "ssim_garment", "mask_iou")},
                           "cutout": {f"{k}_mean": mean_of(k, rs, "cutout") for k in ("ssim", "ssim_garment", "mask_iou")},
                           "seconds_median": round(statistics.median(r["seconds"] for r in rs), 4) if rs else None}
    result = {"data": args.data, "split": args.split, "analysis": args.analysis, "size": [h, w],
              "constants": {"SLEEVE_MIN": to.SLEEVE_MIN, "SLEEVE_MAX": to.SLEEVE_MAX, "FLAT_TO_WORN": to.FLAT_TO_WORN, "MARGIN": to.MARGIN},
              "failed": len(rows) - len(ok), "summary": summary, "rows": rows}
    name = args.name or f"{Path(args.data).name}_{args.analysis}"
    out = Path(__file__).parent / "results" / f"eval_tryoff_{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(summary, indent=1))
    print(f"wrote {out}")
    if args.sheet and sheets:
        d = Path(args.sheet)
        d.mkdir(parents=True, exist_ok=True)
        for i in range(0, len(sheets), 6):
            cv2.imwrite(str(d / f"sheet_{i // 6:02d}.png"), cv2.cvtColor(np.vstack(sheets[i:i + 6]), cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
