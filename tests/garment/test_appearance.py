"""Appearance descriptors (colour + print) of garment fabric, and the print/colour-aware search."""

from __future__ import annotations

import time

import numpy as np
import pytest

from fitroom.garment.appearance import (
    COLOUR_DIM,
    ORIENTED_SLICE,
    PRINT_DIM,
    appearance_descriptor,
    colour_descriptor,
    print_descriptor,
)

S = 128


def _grid():
    return np.mgrid[0:S, 0:S].astype(np.float64)


def _two_tone(field: np.ndarray, base, pattern) -> np.ndarray:
    """``field`` in [0, 1] (1 = pattern colour) -> uint8 RGB fabric."""
    f = field[..., None]
    return np.clip(np.asarray(base, float) * (1 - f) + np.asarray(pattern, float) * f + 0.5, 0, 255).astype(np.uint8)


def stripes(period=10.0, vertical=False):
    yy, xx = _grid()
    c = xx if vertical else yy
    return ((c / period) % 1.0 < 0.4).astype(float)


def dots(period=16.0, radius=3.0):
    yy, xx = _grid()
    du = (xx / period) - np.floor(xx / period + 0.5)
    dv = (yy / period) - np.floor(yy / period + 0.5)
    return (np.hypot(du, dv) * period < radius).astype(float)


def checks(period=14.0):
    return 0.5 * (stripes(period) + stripes(period, vertical=True))


def solid():
    return np.zeros((S, S))


def _mask():
    yy, xx = _grid()
    m = ((xx - 64) / 52) ** 2 + ((yy - 64) / 60) ** 2 <= 1
    return (m * 255).astype(np.uint8)


NAVY, WHITE, RED, CREAM = (30, 40, 90), (245, 245, 240), (170, 30, 40), (250, 240, 200)


def _dist(a, b):
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


def test_shapes_and_determinism():
    rgb, m = _two_tone(stripes(), NAVY, WHITE), _mask()
    a = appearance_descriptor(rgb, m)
    assert a.colour.shape == (COLOUR_DIM,) and a.print.shape == (PRINT_DIM,)
    assert a.colour.dtype == np.float32 and a.print.dtype == np.float32
    b = appearance_descriptor(rgb.copy(), m.copy())
    assert np.array_equal(a.colour, b.colour) and np.array_equal(a.print, b.print)
    assert np.all(np.isfinite(a.colour)) and np.all(np.isfinite(a.print))
    with pytest.raises(ValueError):
        print_descriptor(rgb[..., 0], m)
    with pytest.raises(ValueError):
        colour_descriptor(rgb, m[:10])


def test_print_separates_stripes_dots_checks_solid():
    m = _mask()
    kinds = {"stripes": [stripes(8), stripes(11), stripes(14)], "dots": [dots(14, 3), dots(18, 4), dots(22, 4)],
             "checks": [checks(12), checks(15), checks(18)]}
    feats = {k: [print_descriptor(_two_tone(f, NAVY, WHITE), m) for f in fs] for k, fs in kinds.items()}
    rng = np.random.default_rng(0)
    # solid fabric with a little sensor noise and a soft fold shading
    yy, xx = _grid()
    solids = []
    for i in range(3):
        shade = 1 + 0.03 * np.sin(xx / (20 + 5 * i))
        img = np.clip(np.array(NAVY)[None, None] * shade[..., None] + rng.normal(0, 1.0, (S, S, 3)), 0, 255)
        solids.append(print_descriptor(img.astype(np.uint8), m))
    feats["solid"] = solids
    # compared as the search compares them (standardised per dimension over the set, cosine),
    # each fabric's nearest neighbour among the other 11 is of its own kind
    names = [k for k in feats for _ in range(3)]
    v = np.stack([f for k in feats for f in feats[k]]).astype(np.float64)
    v = (v - v.mean(0)) / (v.std(0) + 1e-3)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    for a, ka in enumerate(names):
        assert names[int(sim[a].argmax())] == ka, (ka, names[int(sim[a].argmax())])
    # a solid fabric has much less band energy than a print
    e = ORIENTED_SLICE.stop  # index of the log total band energy
    assert max(s[e] for s in solids) < min(f[e] for k in kinds for f in feats[k])


def test_rotating_stripes_changes_the_orientation_part():
    m = _mask()
    h = print_descriptor(_two_tone(stripes(10), NAVY, WHITE), m)
    v = print_descriptor(_two_tone(stripes(10, vertical=True), NAVY, WHITE), m)
    h2 = print_descriptor(_two_tone(stripes(10.5), NAVY, WHITE), m)
    oh, ov = h[ORIENTED_SLICE].reshape(3, 4), v[ORIENTED_SLICE].reshape(3, 4)
    # horizontal stripes vary along y: the energy is in one orientation, vertical ones in the orthogonal one
    assert oh.sum(0).argmax() != ov.sum(0).argmax()
    assert abs(int(oh.sum(0).argmax()) - int(ov.sum(0).argmax())) == 2  # 90 degrees apart
    assert _dist(h[ORIENTED_SLICE], v[ORIENTED_SLICE]) > 5 * _dist(h[ORIENTED_SLICE], h2[ORIENTED_SLICE])
    # the orientation-free parts (LBP histograms) barely move
    lbp = slice(ORIENTED_SLICE.stop + 1, ORIENTED_SLICE.stop + 21)
    assert _dist(h[lbp], v[lbp]) < 0.5 * _dist(h[ORIENTED_SLICE], v[ORIENTED_SLICE])


def test_same_fabric_in_two_colours_differs_only_in_colour():
    m = _mask()
    for field in (stripes(9), dots(16, 3.5), checks(13)):
        a = appearance_descriptor(_two_tone(field, NAVY, WHITE), m)
        b = appearance_descriptor(_two_tone(field, RED, CREAM), m)
        assert _dist(a.print, b.print) < 0.02, _dist(a.print, b.print)
        assert _dist(a.colour, b.colour) > 0.5
    # while another print in the same colours differs in the print block
    a = print_descriptor(_two_tone(stripes(9), NAVY, WHITE), m)
    c = print_descriptor(_two_tone(dots(16, 3.5), NAVY, WHITE), m)
    assert _dist(a, c) > 0.1


def test_mask_is_respected():
    m = _mask()
    fabric = _two_tone(stripes(10), NAVY, WHITE)
    a = appearance_descriptor(fabric, m)
    # anything outside the mask (here: loud red dots, another colour) changes nothing
    other = _two_tone(dots(12, 4), (0, 200, 0), RED)
    outside = np.where(m[..., None] > 0, fabric, other)
    b = appearance_descriptor(outside, m)
    assert np.allclose(a.colour, b.colour) and np.allclose(a.print, b.print, atol=1e-6)
    # an empty mask gives zeros, not NaNs
    z = appearance_descriptor(fabric, np.zeros((S, S), np.uint8))
    assert not z.colour.any() and not z.print.any()


def test_fast_enough():
    rgb, m = _two_tone(checks(12), NAVY, WHITE), _mask()
    appearance_descriptor(rgb, m)
    t0 = time.perf_counter()
    for _ in range(10):
        appearance_descriptor(rgb, m)
    assert (time.perf_counter() - t0) / 10 < 0.02  # 20 ms at the VAE's 128 x 128 (typically 3-5 ms)


def test_retrieval_of_texture_family_beats_chance(tmp_path):
    """A tiny rendered catalog (2 garment types x 4 prints x 4 garments, random colours),
    embedded and ranked as ``fitroom garments embed/similar`` do: print-aware weights find
    the query's print far more often than chance (7/31 = 0.23) and keep the type; the
    default (shape first, then print and colour equally) still beats the VAE alone on print
    without losing the type; the VAE alone is at or below chance for print."""
    from fitroom.data.garment_set import GARMENT_TYPES
    from fitroom.data.render_garment import PATTERNS, render_garment
    from fitroom.imaging import save_image
    from fitroom.pipelines.search import embed_catalog

    labels = {}
    for i in range(32):
        cat, pat = GARMENT_TYPES[(i // 4) % 2 * 3], PATTERNS[i % 4]  # short-sleeve top / dress
        name = f"g{i:02d}.png"
        save_image(tmp_path / name, render_garment(cat, size=(192, 256), seed=3000 + i, pattern=pat).image)
        labels[name] = (str(cat), pat)
    index = embed_catalog(tmp_path)
    assert index.version == 2 and index.appearance.shape == (len(index.paths), COLOUR_DIM + PRINT_DIM)
    pats = np.array([labels[p.split("/")[-1]][1] for p in index.paths])
    cats = np.array([labels[p.split("/")[-1]][0] for p in index.paths])
    chance = (8 - 1) / 31

    def p_at(vecs, lab, k=3):
        sim = vecs @ vecs.T
        np.fill_diagonal(sim, -np.inf)
        order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        return float((lab[order] == lab[:, None]).mean())

    vae = index.embeddings("shape=1")
    assert p_at(vae, pats) < chance + 0.05 and p_at(vae, cats) >= 0.95
    print_aware = index.embeddings("shape=1,print=1")
    assert p_at(print_aware, pats) >= 2.5 * chance and p_at(print_aware, cats) >= 0.85
    assert p_at(index.embeddings("print=1"), pats) >= 3 * chance
    default = index.embeddings()
    assert p_at(default, pats) > p_at(vae, pats) + 0.1 and p_at(default, pats) > chance
    assert p_at(default, cats) >= 0.95
