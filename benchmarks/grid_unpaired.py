"""By eye: every person x every garment of an unpaired set, both engines, before and after.

Usage:  .venv/bin/python benchmarks/grid_unpaired.py [--data ../shared/realdata/hd_unpaired]
        [--engines learned,classical] [--out out/grid_unpaired] [--side 256]

The sheets show the real photos of ../shared/realdata (non-commercial licences): they are
written under out/ (git-ignored) and never committed.

The everyday try-on (``Protocol.PHOTO``) with fitroom's own analysis (what a shopper gets).
Writes one contact sheet per engine (``<engine>.png``: a row per person, the photo first,
then one column per garment, the product photo on top) and, per person, a full-resolution
strip (``<engine>/<person>.png``) to look at closely; ``grid.json`` lists the timings and
any refusal.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"


def _fit(img: np.ndarray, side: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = side / max(h, w)
    small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    out = np.full((side, round(side * 0.75), 3), 255, np.uint8)
    oh, ow = small.shape[:2]
    y, x = (side - oh) // 2, max(0, (out.shape[1] - ow) // 2)
    out[y:y + oh, x:x + min(ow, out.shape[1])] = small[:, : out.shape[1]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REALDATA / "hd_unpaired"))
    ap.add_argument("--engines", default="learned,classical")
    ap.add_argument("--out", default=str(ROOT / "out" / "grid_unpaired"))
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--people", type=int, default=None, help="only the first N people")
    a = ap.parse_args()

    from fitroom.errors import FitroomError
    from fitroom.imaging import load_image
    from fitroom.pipelines import TryOnPipeline

    data, out = Path(a.data), Path(a.out)
    people = sorted((data / "image").glob("*.jpg"))[: a.people]
    cloths = sorted((data / "cloth").glob("*.jpg"))
    if not people or not cloths:
        raise SystemExit(f"error: no image/ or cloth/ photos in {data}")
    log: dict = {"data": str(data), "engines": {}}
    garments = [load_image(c) for c in cloths]
    for engine in a.engines.split(","):
        pipe = TryOnPipeline(engine)
        (out / engine).mkdir(parents=True, exist_ok=True)
        header = [np.full((a.side, round(a.side * 0.75), 3), 255, np.uint8)] + [_fit(g, a.side) for g in garments]
        rows = [np.concatenate(header, 1)]
        entries = []
        for p in people:
            photo = load_image(p)
            pa = pipe.analyze_person(photo)
            cells, strip = [_fit(photo, a.side)], [photo]
            for c, g in zip(cloths, garments):
                t = time.perf_counter()
                try:
                    res = pipe(pa, g)
                    img, err = res.image, None
                    cat = str(res.garment.category)
                except FitroomError as e:
                    img, err, cat = np.full_like(photo, 230), f"{type(e).__name__}: {e}", None
                entries.append({"person": p.stem, "garment": c.stem, "category": cat, "error": err,
                                "ms": (time.perf_counter() - t) * 1e3})
                cells.append(_fit(img, a.side))
                strip.append(img)
            rows.append(np.concatenate(cells, 1))
            cv2.imwrite(str(out / engine / f"{p.stem}.png"), cv2.cvtColor(np.concatenate(strip, 1), cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 88])
        sheet = np.concatenate(rows, 0)
        cv2.imwrite(str(out / f"{engine}.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        log["engines"][engine] = entries
        print(f"{engine}: {out / (engine + '.png')}, {sum(e['error'] is not None for e in entries)} refused")
    (out / "grid.json").write_text(json.dumps(log, indent=2))


if __name__ == "__main__":
    main()
