"""The landmark labels of the debug image (``4_garment_mask_landmarks.png``) never overlap."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from fitroom.data.render_garment import render_garment
from fitroom.garment.landmarks import LANDMARK_NAMES
from fitroom.pipelines.debug import _overlaps, draw_points, image_label_layout, layout_labels

CASES = [(cat, seed, size) for cat in ("short-sleeve top", "long-sleeve top", "sleeveless top", "dress")
         for seed in (0, 3) for size in ((192, 256), (768, 1024))]


def _check(boxes, pts, radius):
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlaps(a.box, b.box), (a, b)
    for b in boxes:
        x0, y0, x1, y1 = b.box
        assert x1 > x0 and y1 > y0
        for x, y in pts:  # no label covers a point's marker
            assert not _overlaps(b.box, (x - radius, y - radius, x + radius + 1, y + radius + 1)), (b, x, y)
        (ax, ay), (lx, ly) = b.leader()  # the leader ends on the box's side facing the point
        assert (lx == x0 if b.side > 0 else lx == x1 - 1) and y0 <= ly < y1


@pytest.mark.parametrize("cat, seed, size", CASES)
def test_label_boxes_of_a_rendered_garment_are_pairwise_disjoint(cat, seed, size):
    g = render_garment(cat, seed=seed, size=size)
    pts = g.landmarks.as_array()
    boxes = image_label_layout(g.image, pts, LANDMARK_NAMES)
    assert [b.text for b in boxes] == list(LANDMARK_NAMES)  # every name, in full
    t = max(1, round(max(g.image.shape[:2]) / 300))
    _check(boxes, pts, 4 * t)
    # the drawing makes room for every box: the canvas grows by what sticks out of the photo
    out = draw_points(g.image, pts, (220, 0, 0), LANDMARK_NAMES)
    h, w = g.image.shape[:2]
    need_w = max(w, max(b.box[2] for b in boxes)) - min(0, min(b.box[0] for b in boxes))
    need_h = max(h, max(b.box[3] for b in boxes)) - min(0, min(b.box[1] for b in boxes))
    assert out.shape[1] >= need_w and out.shape[0] >= need_h
    assert out.shape[1] <= need_w + 2 * t and out.shape[0] <= need_h + 2 * t


def test_the_scene_is_crowded_without_the_layout():
    """The naive placement (text right of each point, as before) collides on these garments:
    the disjointness above is not luck."""
    g = render_garment("short-sleeve top", seed=3, size=(768, 1024))
    pts = g.landmarks.as_array()
    boxes = []
    for (x, y), name in zip(pts, LANDMARK_NAMES):
        (tw, th), base = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, 0.9, 1)
        boxes.append((int(x) + 12, int(y) - th, int(x) + 12 + tw, int(y) + base))
    assert any(_overlaps(a, b) for a, b in itertools.combinations(boxes, 2))


def test_coincident_and_random_points():
    rng = np.random.default_rng(0)
    for n in (2, 13, 40):
        pts = rng.uniform(0, 100, (n, 2))
        pts[1] = pts[0]  # two points on top of each other
        labels = [f"p{i}_" + "x" * int(rng.integers(1, 12)) for i in range(n)]
        boxes = layout_labels(pts, labels, font_scale=0.4, marker_radius=3)
        _check(boxes, pts, 3)
    assert layout_labels(np.zeros((0, 2)), []) == []
    with pytest.raises(ValueError):
        layout_labels(np.zeros((2, 2)), ["a"])
