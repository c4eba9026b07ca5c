"""Design with the shipped garment VAE and texture GAN: samples, interpolations, variations,
prints, re-texturing; every garment returned as usable passes fitroom's garment analysis."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.data.render_garment import render_garment
from fitroom.data.textures import render_texture
from fitroom.errors import GarmentError
from fitroom.examples import example_garments, example_person
from fitroom.garment import analyze_garment
from fitroom.imaging import load_image
from fitroom.imaging.color import luminance
from fitroom.pipelines.design import (
    generate_textures,
    interpolate_garments,
    retexture,
    sample_garments,
    shading_map,
    tile_texture,
    vary_garment,
)
from fitroom.pipelines.garment_models import load_texture_gan, load_vae


@pytest.fixture(scope="module")
def vae():
    return load_vae()


def test_samples_are_garments_fitroom_accepts(vae):
    designs, rejected = sample_garments(4, seed=1, vae=vae)
    assert len(designs) == 4 and rejected >= 0
    for d in designs:
        assert d.ok and d.image.shape == (384, 384, 3) and d.mask.shape == (384, 384)
        assert analyze_garment(d.image).category is not None
        # the backdrop is plain and light, the garment is not
        assert d.image[~d.mask].mean() > 240 and d.mask.mean() > 0.1
    again, _ = sample_garments(4, seed=1, vae=vae)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(designs, again))  # seeded


def test_interpolation_ends_look_like_the_inputs(vae):
    a, b = (load_image(p) for p in example_garments()[:2])
    frames = interpolate_garments(a, b, steps=4, vae=vae)
    assert len(frames) == 4
    ma, mb = analyze_garment(a).category, analyze_garment(b).category
    assert frames[0].category == str(ma) and frames[-1].category == str(mb)
    # consecutive frames change gradually: the middle differs from both ends
    d = [np.abs(f.image.astype(int) - frames[0].image.astype(int)).mean() for f in frames]
    assert d[0] == 0 and d[1] < d[3]


def test_variations_grow_with_strength(vae):
    g = load_image(example_garments()[1])
    same = vary_garment(g, 2, strength=0.0, vae=vae)
    assert np.array_equal(same[0].image, same[1].image)
    near = vary_garment(g, 3, strength=0.3, vae=vae, seed=2)
    far = vary_garment(g, 3, strength=1.5, vae=vae, seed=2)
    dn = np.mean([np.abs(v.image.astype(int) - same[0].image.astype(int)).mean() for v in near])
    df = np.mean([np.abs(v.image.astype(int) - same[0].image.astype(int)).mean() for v in far])
    assert 0 < dn < df


def test_not_a_garment_is_refused(vae):
    person = load_image(example_person())
    with pytest.raises(GarmentError):
        vary_garment(person, 2, vae=vae)


def test_generated_textures_tile():
    gan = load_texture_gan()
    tiles = generate_textures(3, seed=4, gan=gan)
    assert len(tiles) == 3 and tiles[0].shape == (64, 64, 3) and tiles[0].dtype == np.uint8
    t = tiles[0].astype(np.float32)
    cols = np.abs(np.diff(t, axis=1)).mean(axis=(0, 2))
    assert np.abs(t[:, 0] - t[:, -1]).mean() <= cols.max() + 1


def test_tile_texture_repeats_with_the_period():
    tex = render_texture("checks", size=16, seed=0)
    out = tile_texture(tex, (40, 50), period=10.0)
    assert out.shape == (40, 50, 3)
    assert np.allclose(out[:, :30], out[:, 10:40], atol=1e-4) and np.allclose(out[:30], out[10:40], atol=1e-4)


def test_shading_map_recovers_the_light_of_a_printed_garment():
    """A solid garment, and the same garment under the same light with a two-colour print
    multiplied in: the shading maps agree (the print is divided out)."""
    a = render_garment("short-sleeve top", size=(384, 512), seed=21, pattern="solid", colour=(176, 32, 44))
    light = luminance(a.image) / (np.array([176, 32, 44]) @ np.array([0.299, 0.587, 0.114]) / 255)
    stripes = (np.arange(a.image.shape[0]) // 9 % 2).astype(bool)[:, None]
    albedo = np.where(stripes[..., None], np.array([28, 36, 66]), np.array([240, 236, 226]))
    b = np.where(a.mask[..., None], np.clip(albedo * light[..., None], 0, 255), a.image).astype(np.uint8)
    sa, sb = shading_map(a.image, a.mask), shading_map(b, a.mask)
    inner = a.mask & ~np.pad(~a.mask, 4, constant_values=True)[4:-4, 4:-4]  # away from the outline
    assert np.median(np.abs(sa[inner] - sb[inner])) < 0.03
    assert np.percentile(np.abs(sa[inner] - sb[inner]), 90) < 0.1
    assert np.all(sa[~a.mask] == 1.0)
    assert sa[inner].std() > 0.01  # the folds and seams are there


def test_retexture_keeps_the_outside_and_the_light():
    g = render_garment("long-sleeve top", size=(384, 512), seed=5, pattern="solid", colour=(122, 168, 214))
    tex = render_texture("stripes", size=32, seed=3)
    r = retexture(g.image, tex, scale=0.3)
    outside = ~np.pad(r.mask, 2)[:-4, :-4] & ~np.pad(r.mask, 2)[4:, 4:] & ~r.mask
    assert np.array_equal(r.image[outside], g.image[outside])
    inside = r.mask
    assert np.abs(r.image[inside].astype(int) - g.image[inside].astype(int)).mean() > 20  # a new print
    assert analyze_garment(r.image).category == analyze_garment(g.image).category
    with pytest.raises(GarmentError):
        retexture(load_image(example_person()), tex)
