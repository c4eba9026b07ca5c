"""The README's picture of results: the bundled photo (public domain) in each bundled garment
(rendered by fitroom), with both engines. Writes docs/images/results_astronaut.jpg.

Usage: .venv/bin/python scripts/readme_grid.py
"""

from pathlib import Path

import cv2
import numpy as np

from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.pipelines import TryOnPipeline

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "results_astronaut.jpg"


def fit(img: np.ndarray, h: int = 260, w: int = 208) -> np.ndarray:
    s = min(h / img.shape[0], w / img.shape[1])
    im = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
    out = np.full((h, w, 3), 255, np.uint8)
    y, x = (h - im.shape[0]) // 2, (w - im.shape[1]) // 2
    out[y:y + im.shape[0], x:x + im.shape[1]] = im
    return out


def label(tile: np.ndarray, text: str) -> np.ndarray:
    tile = tile.copy()
    for i, line in enumerate(text.split("\n")):
        cv2.putText(tile, line, (14, 120 + 28 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.65, (70, 70, 70), 2, cv2.LINE_AA)
    return tile


def main() -> None:
    person = load_image(example_person())
    garments = [load_image(g) for g in example_garments()]
    blank = np.full((260, 208, 3), 255, np.uint8)
    rows = [[fit(person)] + [fit(g) for g in garments]]  # the photo, then the product photos
    for engine in ("learned", "classical"):
        pipe = TryOnPipeline(engine)
        pa = pipe.analyze_person(person)
        rows.append([label(blank, f"{engine}\nengine")] + [fit(pipe(pa, g).image) for g in garments])
    grid = np.vstack([np.hstack(r) for r in rows])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(OUT), grid[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 87])
    print(f"wrote {OUT} {grid.shape[1]}x{grid.shape[0]}")


if __name__ == "__main__":
    main()
