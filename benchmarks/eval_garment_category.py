"""Garment analysis on product photos: refusals and category accuracy.

Usage:  .venv/bin/python benchmarks/eval_garment_category.py [--renders 60] [--size 384x512]
        [--out benchmarks/results/eval_garment_category.json]

* Renders: ``--renders`` garments per category (short-sleeve, long-sleeve and sleeveless
  tops, dresses) from ``fitroom.data.render_garment`` with seeds from 900000 up, which
  nothing in fitroom was tuned or trained on. Truth: the category they were rendered as.
* Real: every product photo in ../shared/realdata (tops and dresses), with the category a
  person gave each by eye (``REAL_LABELS``; the DressCode dress set is all dresses). A photo
  that shows two garments (viton256 000001_1) must be refused and counts as correct when it is.

Reports per source the refusals (with their messages), the accuracy and a confusion table.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
SEED0 = 900_000

#: by eye (README of ../shared/realdata says what each folder holds)
REAL_LABELS = {
    "hd_unpaired/cloth/06802_00.jpg": "short-sleeve top",  # boxy dotted tee, cap sleeves
    "hd_unpaired/cloth/07429_00.jpg": "short-sleeve top",  # lace raglan sleeves to the elbow
    "hd_unpaired/cloth/08348_00.jpg": "sleeveless top",  # printed camisole
    "hd_unpaired/cloth/09933_00.jpg": "sleeveless top",  # lace-trimmed camisole
    "hd_unpaired/cloth/11028_00.jpg": "short-sleeve top",  # velvet mock neck, elbow sleeves
    "hd_unpaired/cloth/11351_00.jpg": "short-sleeve top",  # black tee
    "hd_unpaired/cloth/11791_00.jpg": "short-sleeve top",  # V-neck tee
    "viton256_paired/cloth/000001_1.jpg": "refuse",  # two tops in one photo
    "viton256_paired/cloth/000010_1.jpg": "long-sleeve top",  # flared long sleeves
    "viton256_paired/cloth/000020_1.jpg": "short-sleeve top",  # tied short sleeves
    "viton256_paired/cloth/001744_1.jpg": "long-sleeve top",  # sleeves hanging down
    "viton256_paired/cloth/003491_1.jpg": "short-sleeve top",  # cap sleeves
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--renders", type=int, default=60, help="renders per category")
    ap.add_argument("--size", default="384x512", help="render size WxH")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_garment_category.json"))
    a = ap.parse_args()

    from fitroom.data.render_garment import render_garment
    from fitroom.errors import FitroomError
    from fitroom.garment import analyze_garment
    from fitroom.imaging import load_image
    from fitroom.labels import GarmentCategory

    w, h = (int(v) for v in a.size.split("x"))
    cats = [GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.LONG_SLEEVE_TOP, GarmentCategory.SLEEVELESS_TOP,
            GarmentCategory.DRESS]
    items = []  # (source, name, truth, image)
    for ci, c in enumerate(cats):
        for i in range(a.renders):
            seed = SEED0 + 1000 * ci + i
            items.append(("renders", f"{c.value}#{seed}", c.value, lambda c=c, s=seed: render_garment(c, size=(w, h), seed=s).image))
    labels = dict(REAL_LABELS)
    for p in sorted((REALDATA / "dress256_paired" / "cloth").glob("*.*")) if REALDATA.is_dir() else []:
        labels[str(p.relative_to(REALDATA))] = "dress"
    for rel, truth in sorted(labels.items()):
        if (REALDATA / rel).exists():
            items.append(("real", rel, truth, lambda p=REALDATA / rel: load_image(p)))

    rows = []
    t0 = time.perf_counter()
    for source, name, truth, make in items:
        try:
            got, msg = str(analyze_garment(make()).category), None
        except FitroomError as e:
            got, msg = "refuse", f"{type(e).__name__}: {e}"
        rows.append({"source": source, "name": name, "truth": truth, "got": got, "message": msg,
                     "correct": got == truth})
    out: dict = {"renders_per_category": a.renders, "render_size": [w, h], "seconds": time.perf_counter() - t0,
                 "sources": {}}
    for source in ("renders", "real"):
        rs = [r for r in rows if r["source"] == source]
        if not rs:
            continue
        wrongly_refused = [r for r in rs if r["got"] == "refuse" and r["truth"] != "refuse"]
        out["sources"][source] = {
            "n": len(rs), "accuracy": sum(r["correct"] for r in rs) / len(rs),
            "refusals": len(wrongly_refused),
            "refused": [f"{r['name']}: {r['message']}" for r in wrongly_refused],
            "wrong": [f"{r['name']}: {r['truth']} -> {r['got']}" for r in rs if not r["correct"] and r["got"] != "refuse"],
            "confusion": {f"{k[0]} -> {k[1]}": v for k, v in sorted(Counter((r["truth"], r["got"]) for r in rs).items())},
        }
        s = out["sources"][source]
        print(f"{source}: n={s['n']} accuracy={s['accuracy']:.3f} refusals={s['refusals']}")
        for line in s["refused"] + s["wrong"]:
            print("   ", line)
    out["samples"] = rows
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
