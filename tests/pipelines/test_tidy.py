"""Tidying an engine's garment layer: holes and notches closed, a smooth hem."""

import numpy as np

from fitroom.labels import Body25 as B
from fitroom.person.body import body_frame
from fitroom.pipelines.compose import GarmentLayer
from fitroom.pipelines.tidy import smooth_hem, tidy_layer


def _frame():
    kp = np.zeros((25, 3), np.float32)
    for side, sgn in (("RIGHT", -1), ("LEFT", 1)):
        kp[B[f"{side}_SHOULDER"]] = (150 + sgn * 50, 80, 1)
        kp[B[f"{side}_ELBOW"]] = (150 + sgn * 56, 170, 1)
        kp[B[f"{side}_WRIST"]] = (150 + sgn * 59, 250, 1)
        kp[B[f"{side}_HIP"]] = (150 + sgn * 25, 220, 1)
    kp[B.NECK] = (150, 80, 1)
    return body_frame(kp)


def _layer(torso: np.ndarray) -> GarmentLayer:
    rgb = np.zeros(torso.shape + (3,), np.float32)
    rgb[torso] = (30, 40, 120)
    a = torso.astype(np.float32)
    return GarmentLayer(rgb=rgb, alpha=a, torso_alpha=a, sleeve_alpha=np.zeros_like(a))


def test_a_ragged_hem_is_made_smooth_and_a_strip_inside_is_closed():
    h, w = 320, 300
    torso = np.zeros((h, w), bool)
    torso[80:230, 100:201] = True  # a top from the shoulders to the hips, its hem on row 229
    torso[215:230, 170:185] = False  # a notch where the parse's skirt reached up
    torso[230:245, 120:126] = True  # a spike pulled below the hem
    torso[200:205, 100:150] = False  # a strip of waistband parsed inside the old top
    out = tidy_layer(_layer(torso), _frame())
    t = out.torso_alpha > 0.5
    assert t[215:230, 170:185].all()  # the notch is garment
    assert not t[232:245, 120:126].any()  # the spike is cut
    assert t[200:205, 103:150].all()  # the strip is closed
    assert (out.rgb[t] > 0).any(axis=1).all()  # new garment pixels have the garment's colour
    assert np.allclose(out.rgb[202, 130], (30, 40, 120), atol=3)
    # the neckline and the sides above the waist are the garment's own
    assert (t[80:190] == torso[80:190]).all()
    assert np.array_equal(out.alpha > 0.5, t)


def test_a_smooth_hem_and_a_clean_layer_are_left_as_they_are():
    h, w = 320, 300
    yy, xx = np.mgrid[0:h, 0:w]
    torso = (yy >= 80) & (xx >= 100) & (xx <= 200) & (yy <= 225 + 0.0004 * (xx - 150) ** 2 * 10)  # a curved hem
    def hem(m):
        return m.shape[0] - 1 - np.argmax(m[::-1, 100:201], axis=0)

    assert np.array_equal(smooth_hem(torso, 40, tol=5), torso)
    out = tidy_layer(_layer(torso), _frame())
    assert ((out.torso_alpha > 0.5) != torso).sum() < 0.01 * torso.sum()


def test_a_strap_above_the_hem_is_no_notch():
    h, w = 320, 300
    torso = np.zeros((h, w), bool)
    torso[110:230, 110:191] = True  # a camisole's body
    torso[80:112, 104:110] = True  # its straps, outside the body's columns
    torso[80:112, 191:197] = True
    out = smooth_hem(torso, 40, tol=2, max_notch=20)
    assert not out[120:230, 104:110].any() and not out[120:230, 191:197].any()
    assert out[80:112, 104:110].all()


def test_a_top_stretched_over_a_long_old_garment_ends_where_its_proportions_put_it():
    h, w = 400, 300
    torso = np.zeros((h, w), bool)
    torso[80:380, 100:201] = True  # warped down to the knees (over a coat or a dress)
    layer = _layer(torso)
    sleeve = np.zeros((h, w), np.float32)
    sleeve[100:330, 60:90] = 1.0  # a long sleeve hangs lower than the hem: it stays
    layer = GarmentLayer(rgb=layer.rgb, alpha=np.maximum(layer.alpha, sleeve), torso_alpha=layer.torso_alpha,
                         sleeve_alpha=sleeve)
    f = _frame()  # neck at row 80, hips at row 220: one torso length is 140 px
    out = tidy_layer(layer, f, max_along=1.1)
    t = out.torso_alpha > 0.5
    hem = 80 + 1.1 * f.torso_length
    assert t[int(hem) - 5, 150] and not t[int(hem) + 3:, :].any()
    assert (out.sleeve_alpha == sleeve).all() and (out.alpha[100:330, 60:90] == 1).all()
    assert (out.alpha[int(hem) + 3:, 100:201] == 0).all()
    # without a length, nothing is cut
    assert (tidy_layer(layer, f).torso_alpha[300:380, 120:180] > 0.5).all()
