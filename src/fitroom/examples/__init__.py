"""Example images that ship with fitroom (all may be redistributed).

* ``astronaut.jpg``: Eileen Collins, NASA portrait (public domain; as in ``skimage.data``).
* garment product photos rendered by fitroom itself (``fitroom.data.render_garment``).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def example_person() -> Path:
    return HERE / "astronaut.jpg"


def example_garments() -> list[Path]:
    """Bundled product photos, sorted by name."""
    return sorted(p for p in HERE.iterdir() if p.suffix in (".png", ".jpg") and p.name != "astronaut.jpg")
