"""evaluate --robustness: SSIM(f(T x), T f(x)) for small, meaningless changes T of the photo."""

import numpy as np

from fitroom.eval.robustness import PERTURBATIONS, robustness
from fitroom.examples import example_person
from fitroom.imaging import load_image


def test_a_try_on_that_follows_the_photo_exactly_is_perfectly_stable():
    img = load_image(example_person())
    r = robustness(lambda x: x.copy(), img)  # "changes nothing": equivariant by construction
    assert set(r) == {"robustness"} | {f"robustness_{p.name}" for p in PERTURBATIONS}
    assert all(v > 0.999 for v in r.values()), r


def test_a_try_on_that_jumps_is_caught():
    img = load_image(example_person())
    calls = []

    def jumpy(x):
        calls.append(1)
        out = x.copy()
        if len(calls) > 1:  # every perturbed photo: a "sleeve" lands elsewhere
            out[100:300, 50:150] = 255
        return out

    r = robustness(jumpy, img)
    # a block of 8% of the picture that moves: far from the 0.999 of a stable try-on
    assert r["robustness"] < 0.97 and all(r[f"robustness_{p.name}"] < 0.98 for p in PERTURBATIONS), r


def test_a_refused_perturbed_photo_is_none_not_a_crash():
    from fitroom.errors import NoPersonError

    img = load_image(example_person())
    n = [0]

    def refuses_rotations(x):
        n[0] += 1
        if n[0] in (3, 4):
            raise NoPersonError("no person")
        return x.copy()

    r = robustness(refuses_rotations, img)
    assert r["robustness_rotate+2"] is None and r["robustness_rotate-2"] is None
    assert np.isfinite(r["robustness"])
