"""The parser on a drawn figure with known regions (no MediaPipe involved)."""

import cv2
import numpy as np

from fitroom.labels import Body25 as B
from fitroom.labels import Cihp
from fitroom.person.body import body_frame
from fitroom.person.parsing import parse_person



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


def draw_figure():
    h, w = 420, 260
    img = np.full((h, w, 3), 240, np.uint8)
    person = np.zeros((h, w), np.uint8)
    skin = (224, 172, 140)
    cx, top, sw = 130, 120, 90
    # hair (behind the head), face, neck
    cv2.ellipse(img, (cx, 70), (38, 48), 0, 0, 360, (60, 40, 30), -1)
    cv2.ellipse(person, (cx, 70), (38, 48), 0, 0, 360, 1, -1)
    face = np.array([(cx + 28 * np.cos(t), 80 + 36 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 36, endpoint=False)], np.float32)
    cv2.fillPoly(img, [face.astype(np.int32)], skin)
    cv2.rectangle(img, (cx - 12, 110), (cx + 12, top + 5), skin, -1)
    cv2.rectangle(person, (cx - 12, 110), (cx + 12, top + 5), 1, -1)
    # arms (skin), torso (red top), trousers (blue, two legs)
    for x in (cx - sw // 2 - 12, cx + sw // 2 + 12):
        cv2.line(img, (x, top + 10), (x, top + 170), skin, 20)
        cv2.line(person, (x, top + 10), (x, top + 170), 1, 20)
    cv2.rectangle(img, (cx - sw // 2, top), (cx + sw // 2, top + 130), (200, 30, 40), -1)
    cv2.rectangle(person, (cx - sw // 2, top), (cx + sw // 2, top + 130), 1, -1)
    for x0 in (cx - 40, cx + 4):
        cv2.rectangle(img, (x0, top + 130), (x0 + 36, top + 290), (40, 50, 150), -1)
        cv2.rectangle(person, (x0, top + 130), (x0 + 36, top + 290), 1, -1)
    kp = upright_keypoints(cx=cx, top=top, sw=sw + 24)
    return img, person.astype(bool), kp, face


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
