"""Sleeve coverage on synthetic held-out pairs, where the true sleeves are known.

Usage:  .venv/bin/python benchmarks/eval_sleeves.py --data data/heldout7 [--split test]
        [--engines learned,classical] [--protocol paired|photo] [--out benchmarks/results/eval_sleeves.json]

Data: ``fitroom data synth --out data/heldout7 --count 2000 --size 256x192 --seed 7`` (never
trained on). For each sample whose garment has sleeves, the try-on runs leak-free
(``Protocol.PAIRED``, the dataset's pose, parse and garment mask, so the old sleeves cannot
be copied). The true sleeves are the person pixels whose texture coordinates fall in the
product photo's sleeve masks; the result's are the garment layer's sleeve pixels
(``sleeve_alpha > 0.5``). Reported: IoU by sleeve length and by arm pose, how often the
sleeves were missed (IoU < 0.1 for a garment whose true sleeves cover at least 0.3% of the
photo) and how often they vanished (the result has under a fifth of their area as sleeves).
``--protocol photo`` measures the everyday try-on's layer instead (the networks make it from
the leak-free input too; the learned engine's leak-free result blends in its generator's
rendering, whose sleeves ``sleeve_alpha`` does not count).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: a garment's sleeves vanished when the result has under this fraction of the true sleeves'
#: area as sleeve pixels (placed elsewhere on the arm, with IoU < 0.1, they are "missed")
VANISHED = 0.2


def true_sleeves(coords: np.ndarray, sleeve_mask: np.ndarray) -> np.ndarray:
    """(H, W) bool: person pixels showing a product-photo pixel inside ``sleeve_mask``."""
    h, w = sleeve_mask.shape
    ok = np.isfinite(coords[..., 0])
    x = np.clip(np.round(np.nan_to_num(coords[..., 0])).astype(int), 0, w - 1)
    y = np.clip(np.round(np.nan_to_num(coords[..., 1])).astype(int), 0, h - 1)
    return ok & sleeve_mask[y, x]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--engines", default="learned,classical")
    ap.add_argument("--protocol", default="paired", choices=("paired", "photo"),
                    help="paired: leak-free (the learned engine blends its generator's rendering in); "
                         "photo: the everyday try-on's garment layer, which the networks make from the "
                         "leak-free input too (what a shopper sees)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_sleeves.json"))
    a = ap.parse_args()

    from fitroom.data.layouts import read_dataset
    from fitroom.eval.everyday import sleeve_iou
    from fitroom.pipelines import Protocol, TryOnPipeline

    meta = {}
    for f in Path(a.data).rglob("meta.jsonl"):
        for line in f.read_text().splitlines():
            if line.strip():
                d = json.loads(line)
                meta[d["id"]] = d
    samples = [s for s in read_dataset(a.data, split=a.split)
               if meta.get(s.person_id, {}).get("category") in ("short-sleeve top", "long-sleeve top")
               or (meta.get(s.person_id, {}).get("category") == "dress" and s.texture_coords_path is not None)]
    out: dict = {"data": a.data, "split": a.split, "protocol": a.protocol, "engines": {}}
    for engine in a.engines.split(","):
        pipe = TryOnPipeline(engine)
        rows = []
        for s in samples:
            person, kp, parse = s.load_person(), s.load_keypoints(), s.load_parse()
            pa = pipe.analyze_person(person, keypoints=kp, parse=parse)
            ga = pipe.analyze_garment(s.load_garment(), mask=s.load_garment_mask())
            if not ga.sleeve_masks[0].any() and not ga.sleeve_masks[1].any():
                continue  # a sleeveless dress
            truth = true_sleeves(s.load_texture_coords(), ga.sleeve_masks[0] | ga.sleeve_masks[1])
            if truth.mean() < 0.003:
                continue
            r = pipe(pa, ga, protocol=Protocol(a.protocol))
            got = r.layer.sleeve_alpha > 0.5
            m = meta[s.person_id]
            rows.append({"id": s.person_id, "category": m["category"], "pose": m.get("pose"),
                         "iou": sleeve_iou(got, truth), "area_ratio": float(got.sum() / truth.sum())})
        def summary(rs):
            v = [r["iou"] for r in rs if r["iou"] is not None]
            return {"n": len(v), "iou_mean": statistics.fmean(v) if v else None,
                    "iou_median": statistics.median(v) if v else None,
                    "missed": sum(x < 0.1 for x in v),
                    "vanished": sum(r["area_ratio"] < VANISHED for r in rs if r["iou"] is not None)}
        by = {"all": summary(rows)}
        for key in ("category", "pose"):
            groups = defaultdict(list)
            for r in rows:
                groups[r[key]].append(r)
            by[key] = {k: summary(g) for k, g in sorted(groups.items())}
        out["engines"][engine] = {"summary": by, "samples": rows}
        print(f"{engine}: {by['all']}")
        for k, v in by["pose"].items():
            print(f"   pose {k}: n={v['n']} iou={v['iou_mean']:.3f} missed={v['missed']} vanished={v['vanished']}")
        for k, v in by["category"].items():
            print(f"   {k}: n={v['n']} iou={v['iou_mean']:.3f} missed={v['missed']} vanished={v['vanished']}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
