"""The parser on drawn figures with known regions (no MediaPipe involved)."""

import cv2
import numpy as np
import pytest

from fitroom.labels import Body25 as B
from fitroom.labels import Cihp
from fitroom.person.body import body_frame
from fitroom.person.parsing import (
    ColourModel, MixtureModel, _absorb_enclosed, _drop_strands, _hueless, _same_fabric, parse_person, quadratic_features, to_lab,
)

SKIN = (224, 172, 140)
DARK_HAIR = (60, 40, 30)
RED = (200, 30, 40)
BLUE = (40, 50, 150)
BACKDROP = 240


def upright_keypoints(cx: float, top: float, sw: float) -> np.ndarray:
    kp = np.zeros((25, 3), np.float32)
    pts = {B.NOSE: (cx, top - 40), B.RIGHT_SHOULDER: (cx - sw / 2, top), B.LEFT_SHOULDER: (cx + sw / 2, top),
           B.RIGHT_ELBOW: (cx - sw / 2, top + 80), B.LEFT_ELBOW: (cx + sw / 2, top + 80),
           B.RIGHT_WRIST: (cx - sw / 2, top + 160), B.LEFT_WRIST: (cx + sw / 2, top + 160),
           B.RIGHT_HIP: (cx - 22, top + 130), B.LEFT_HIP: (cx + 22, top + 130),
           B.RIGHT_KNEE: (cx - 22, top + 220), B.LEFT_KNEE: (cx + 22, top + 220)}
    for i, (x, y) in pts.items():
        kp[i] = (x, y, 0.9)
    return kp


class Figure:
    """A frontal figure drawn part by part: every part paints the image and the person mask."""

    h, w = 420, 260
    cx, top, sw = 130, 120, 90

    def __init__(self, hair=DARK_HAIR):
        self.img = np.full((self.h, self.w, 3), BACKDROP, np.uint8)
        self.person = np.zeros((self.h, self.w), np.uint8)
        cx, top = self.cx, self.top
        # hair (behind the head), face, neck
        self.ellipse((cx, 70), (38, 48), hair)
        self.face = np.array([(cx + 28 * np.cos(t), 80 + 36 * np.sin(t))
                              for t in np.linspace(0, 2 * np.pi, 36, endpoint=False)], np.float32)
        cv2.fillPoly(self.img, [self.face.astype(np.int32)], SKIN)
        self.rect((cx - 12, 110), (cx + 12, top + 5), SKIN)
        self.kp = upright_keypoints(cx=cx, top=top, sw=self.sw + 24)

    def ellipse(self, c, axes, colour):
        cv2.ellipse(self.img, c, axes, 0, 0, 360, colour, -1)
        cv2.ellipse(self.person, c, axes, 0, 0, 360, 1, -1)

    def rect(self, p0, p1, colour):
        cv2.rectangle(self.img, p0, p1, colour, -1)
        cv2.rectangle(self.person, p0, p1, 1, -1)

    def line(self, p0, p1, colour, thickness=20):
        cv2.line(self.img, p0, p1, colour, thickness)
        cv2.line(self.person, p0, p1, 1, thickness)

    def poly(self, pts, colour):
        pts = np.array(pts, np.int32)
        cv2.fillPoly(self.img, [pts], colour)
        cv2.fillPoly(self.person, [pts], 1)

    def arms(self, colour=SKIN):
        for x in (self.cx - self.sw // 2 - 12, self.cx + self.sw // 2 + 12):
            self.line((x, self.top + 10), (x, self.top + 170), colour)

    def torso(self, colour):
        self.rect((self.cx - self.sw // 2, self.top), (self.cx + self.sw // 2, self.top + 130), colour)

    def trouser_legs(self, colour, x0s=(90, 134)):
        for x0 in x0s:
            self.rect((x0, self.top + 130), (x0 + 36, self.top + 290), colour)

    def bare_legs(self, y0):
        for x0 in (100, 138):
            self.rect((x0, y0), (x0 + 22, self.top + 290), SKIN)

    def skirt(self, colour, y1):
        cx, top = self.cx, self.top
        self.poly([(cx - 45, top + 130), (cx + 45, top + 130), (cx + 58, y1), (cx - 58, y1)], colour)

    def parse(self, face=True):
        person = self.person.astype(bool)
        return parse_person(self.img, person, body_frame(self.kp), self.face if face else None)


def draw_figure():
    f = Figure()
    f.arms()
    f.torso(RED)
    f.trouser_legs(BLUE)
    return f.img, f.person.astype(bool), f.kp, f.face


def share(parse: np.ndarray, region: np.ndarray, labels) -> float:
    return float(np.isin(parse[region], list(labels)).mean())


def test_parse_of_a_drawn_figure_finds_every_part():
    img, person, kp, face = draw_figure()
    parse = parse_person(img, person, body_frame(kp), face)
    assert parse.shape == person.shape
    assert (parse[~person] == Cihp.BACKGROUND).all()
    assert parse[170, 130] == Cihp.UPPER_CLOTHES  # chest
    assert parse[80, 130] == Cihp.FACE
    assert parse[30, 130] == Cihp.HAIR
    assert parse[215, 130 + 45 + 12] == Cihp.LEFT_ARM  # image right = person's left
    assert parse[215, 130 - 45 - 12] == Cihp.RIGHT_ARM
    assert parse[350, 110] in (Cihp.PANTS, Cihp.SKIRT)
    # the top is a top, not a dress
    assert not (parse == Cihp.DRESS).any()


def test_parse_falls_back_to_an_ellipse_without_a_face_outline():
    img, person, kp, _ = draw_figure()
    parse = parse_person(img, person, body_frame(kp), None)
    assert (parse == Cihp.FACE).sum() > 500


def test_parse_is_deterministic():
    img, person, kp, face = draw_figure()
    a = parse_person(img, person, body_frame(kp), face)
    b = parse_person(img, person, body_frame(kp), face)
    assert (a == b).all()


@pytest.mark.parametrize("x0s", [(84, 140), (90, 134)], ids=["apart", "close"])
def test_trousers_that_part_into_two_legs_are_trousers(x0s):
    f = Figure()
    f.arms()
    f.torso(RED)
    f.trouser_legs(BLUE, x0s=x0s)  # background between the legs, 20 or 8 pixels wide
    parse = f.parse()
    assert parse[350, x0s[0] + 18] == Cihp.PANTS
    assert parse[350, x0s[1] + 18] == Cihp.PANTS
    assert not (parse == Cihp.SKIRT).any()


def test_top_over_trousers_of_the_same_colour_is_a_top_and_trousers():
    f = Figure()
    f.arms()
    f.torso(RED)
    f.trouser_legs(RED, x0s=(84, 140))
    parse = f.parse()
    assert not (parse == Cihp.DRESS).any()
    assert parse[170, 130] == Cihp.UPPER_CLOTHES
    assert parse[350, 100] == Cihp.PANTS


def test_a_skirt_over_bare_legs_is_a_skirt():
    f = Figure()
    f.bare_legs(f.top + 190)
    f.skirt(BLUE, f.top + 200)
    f.arms()
    f.torso(RED)
    parse = f.parse()
    assert parse[f.top + 170, 130] == Cihp.SKIRT
    assert parse[f.top + 250, 111] == Cihp.RIGHT_LEG
    assert parse[f.top + 250, 149] == Cihp.LEFT_LEG
    assert parse[170, 130] == Cihp.UPPER_CLOTHES


def test_a_printed_dress_is_one_dress_not_skin():
    f = Figure()
    f.bare_legs(f.top + 190)
    f.arms()
    f.torso(BLUE)
    f.skirt(BLUE, f.top + 200)
    # a print of skin-coloured flowers all over the dress
    dress = np.zeros(f.person.shape, np.uint8)
    cv2.rectangle(dress, (f.cx - 45, f.top), (f.cx + 45, f.top + 130), 1, -1)
    cv2.fillPoly(dress, [np.array([(f.cx - 45, f.top + 130), (f.cx + 45, f.top + 130),
                                   (f.cx + 58, f.top + 200), (f.cx - 58, f.top + 200)], np.int32)], 1)
    for y in range(f.top + 6, f.top + 196, 13):
        for x in range(f.cx - 50 + (y // 13) % 2 * 6, f.cx + 55, 13):
            if dress[y, x]:
                cv2.circle(f.img, (x, y), 3, SKIN, -1)
    parse = f.parse()
    inside = cv2.erode(dress, np.ones((5, 5), np.uint8)).astype(bool)
    assert share(parse, inside, [Cihp.DRESS]) > 0.95
    assert share(parse, inside, [Cihp.LEFT_LEG, Cihp.RIGHT_LEG, Cihp.LEFT_ARM, Cihp.RIGHT_ARM]) < 0.02
    assert parse[f.top + 250, 111] == Cihp.RIGHT_LEG


def test_fair_hair_stays_hair():
    f = Figure(hair=(205, 170, 110))  # blonde: close to the skin, yellower
    f.arms()
    f.torso(RED)
    f.trouser_legs(BLUE)
    parse = f.parse()
    assert parse[30, 130] == Cihp.HAIR
    head = np.zeros(f.person.shape, np.uint8)
    cv2.ellipse(head, (130, 70), (38, 48), 0, 0, 360, 1, -1)
    face = np.zeros_like(head)
    cv2.fillPoly(face, [f.face.astype(np.int32)], 1)
    ring = head.astype(bool) & ~cv2.dilate(face, np.ones((9, 9), np.uint8)).astype(bool)
    ring = cv2.erode(ring.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert share(parse, ring, [Cihp.HAIR]) > 0.9


def test_a_raised_arm_beside_the_head_is_an_arm_not_hair():
    f = Figure()
    f.torso(RED)
    f.trouser_legs(BLUE)
    sx = f.cx - f.sw // 2 - 12
    f.line((sx, f.top + 10), (sx, f.top + 170), SKIN)  # the right arm hangs
    lx = f.cx + f.sw // 2 + 12
    f.line((lx, f.top + 10), (lx + 10, f.top - 60), SKIN)  # the left arm goes up beside the head
    f.line((lx + 10, f.top - 60), (lx - 10, f.top - 120), SKIN)
    f.kp[B.LEFT_ELBOW] = (lx + 10, f.top - 60, 0.9)
    f.kp[B.LEFT_WRIST] = (lx - 10, f.top - 120, 0.9)
    parse = f.parse()
    assert parse[f.top - 90, lx] == Cihp.LEFT_ARM
    assert parse[f.top - 40, lx + 6] == Cihp.LEFT_ARM
    assert parse[30, 130] == Cihp.HAIR


@pytest.mark.parametrize("case", ["no_face", "face_off_the_person", "cut_at_the_waist", "all_skin", "no_hips",
                                  "tiny", "only_a_head"])
def test_parse_survives_odd_photos(case):
    f = Figure()
    f.arms()
    f.torso(SKIN if case == "all_skin" else RED)
    f.trouser_legs(SKIN if case == "all_skin" else BLUE)
    img, person, kp = f.img, f.person.astype(bool), f.kp.copy()
    face = None if case == "no_face" else f.face
    if case == "face_off_the_person":
        face = face + np.array([250, 0], np.float32)  # outside the photo
    if case == "only_a_head":
        person = np.zeros_like(person)
        cv2.fillPoly(person.view(np.uint8), [f.face.astype(np.int32)], 1)
    if case == "cut_at_the_waist":
        img, person = img[:230].copy(), person[:230].copy()
    if case == "no_hips":
        kp[[B.LEFT_HIP, B.RIGHT_HIP, B.LEFT_KNEE, B.RIGHT_KNEE], 2] = 0
    if case == "tiny":
        img = cv2.resize(img, (26, 42), interpolation=cv2.INTER_AREA)
        person = cv2.resize(person.astype(np.uint8), (26, 42), interpolation=cv2.INTER_NEAREST).astype(bool)
        kp[:, :2] /= 10
        face = face / 10
    parse = parse_person(img, person, body_frame(kp), face)
    assert parse.shape == person.shape and parse.dtype == np.uint8
    assert (parse[~person] == Cihp.BACKGROUND).all()
    assert (parse[person] != Cihp.BACKGROUND).all()


def test_parse_of_an_empty_mask_is_background():
    img, person, kp, face = draw_figure()
    parse = parse_person(img, np.zeros_like(person), body_frame(kp), face)
    assert (parse == Cihp.BACKGROUND).all()


# --- the pieces --------------------------------------------------------------------------------

def test_mixture_cost_matches_the_gaussian_density():
    rng = np.random.default_rng(0)
    samples = rng.normal([50, 10, 20], [8, 3, 4], (500, 3)).astype(np.float32)
    g = ColourModel.fit(samples)
    px = rng.normal([50, 10, 20], [15, 6, 6], (100, 3)).astype(np.float32)
    # the linear form on quadratic features is the Gaussian's negative log-density
    np.testing.assert_allclose(g.quadratic @ quadratic_features(px), g.nll(px), rtol=1e-3, atol=1e-2)
    m = MixtureModel.fit(np.concatenate([samples, samples + [0, 40, -40]]), k=2)
    assert len(m.parts) == 2
    near_a, near_b = m.nll(np.array([[50, 10, 20]], np.float32)), m.nll(np.array([[50, 50, -20]], np.float32))
    far = m.nll(np.array([[50, 30, 0]], np.float32))
    assert far[0] > near_a[0] + 5 and far[0] > near_b[0] + 5


def test_same_fabric_allows_for_shading_but_not_another_colour():
    rng = np.random.default_rng(1)

    def fabric(rgb, n=400):
        img = np.clip(rng.normal(rgb, 4, (n, 1, 3)), 0, 255).astype(np.uint8)
        return to_lab(img).reshape(-1, 3)

    red_lit, red_shaded, blue = fabric((200, 30, 40)), fabric((150, 22, 30)), fabric((40, 50, 150))
    m_red, m_shaded, m_blue = MixtureModel.fit(red_lit), MixtureModel.fit(red_shaded), MixtureModel.fit(blue)
    assert _same_fabric(m_red, m_shaded, red_lit, red_shaded)
    assert not _same_fabric(m_red, m_blue, red_lit, blue)


def test_absorb_enclosed_takes_specks_inside_a_garment_only():
    win = np.zeros((40, 40), np.uint8)
    body = np.zeros((40, 40), bool)
    body[5:35, 5:35] = True
    win[body] = 3  # a garment
    win[15:18, 15:18] = 1  # a speck inside it
    win[5:12, 28:35] = 1  # a patch at the body's edge (touches the outside)
    win[25:28, 8:11] = 1  # a speck that must be kept (a hand)
    keep = np.zeros_like(body)
    keep[26, 9] = True
    _absorb_enclosed(win, body, 1, (3, 4), keep)
    assert (win[15:18, 15:18] == 3).all()
    assert (win[5:12, 28:35] == 1).all()
    assert (win[25:28, 8:11] == 1).all()


def test_absorb_enclosed_does_not_mistake_the_outside_for_a_class():
    # no pixel of class 4 anywhere: the outside of the body must not count as class 4
    win = np.zeros((30, 30), np.uint8)
    body = np.zeros((30, 30), bool)
    body[10:20, 10:20] = True
    win[body] = 2
    _absorb_enclosed(win, body, 2, (3, 4), np.zeros_like(body))
    assert (win[body] == 2).all()


def test_thin_strands_of_a_top_below_the_armpits_are_dropped_and_its_outline_kept():
    m = np.zeros((200, 200), bool)
    m[40:120, 50:150] = True  # the body of a top
    m[10:40, 60:66] = True  # a strap above the zone: kept
    m[120:190, 140:145] = True  # a 5 px strip hanging from the hem (the gap beside an arm)
    zone = np.zeros_like(m)
    zone[40:] = True  # from the armpits down
    out = _drop_strands(m, zone, 12.0)
    assert out[10:40, 60:66].all()  # strap untouched
    assert out[40:120, 50:150].all()  # the body keeps its corners
    assert not out[130:190, 140:145].any()  # the strip goes (its first few px may stay)
    # a strip as broad as the width stays
    m[120:190, 130:145] = True
    assert _drop_strands(m, zone, 12.0)[130:190, 130:145].all()


def _lab_image(h, w, lab):
    return np.broadcast_to(np.asarray(lab, np.float32), (h, w, 3)).copy()


def test_black_lace_beside_brown_hair_is_not_hair_but_pale_hair_ends_and_grey_hair_are():
    lab = _lab_image(100, 100, (40.0, 15.0, 22.0))  # brown hair (chroma about 27)
    head = np.zeros((100, 100), bool)
    head[:40] = True
    low = np.zeros_like(head)
    low[50:90, 10:50] = True  # below the chin: lace on the left, hair ends on the right
    low[50:90, 60:90] = True
    lace = np.zeros_like(head)
    lace[50:90:3, 10:50] = True  # black threads ...
    lace[50:90, 10:50:3] = True
    lab[lace] = (15.0, 0.5, 1.0)
    lab[50:90, 10:50][~lace[50:90, 10:50]] = (65.0, 14.0, 17.0)  # ... over skin
    lab[50:90, 60:90] = (80.0, 3.0, 6.0)  # the pale ends of the hair against the backdrop
    grey = _hueless(lab, head, low, 5)
    assert grey[52:88, 12:48].all()  # the threads and the skin between them
    assert not grey[50:90, 60:90].any()
    # grey or black hair: no hue to tell it by
    lab[:40] = (20.0, 1.0, 2.0)
    assert not _hueless(lab, head, low, 5).any()
