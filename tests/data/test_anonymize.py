"""fitroom data anonymize: faces pixelated, metadata stripped, names hashed with a secret."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from fitroom.data.anonymize import anonymize_folder, hashed_name
from fitroom.errors import FitroomError
from fitroom.examples import example_person
from fitroom.imaging import load_image
from fitroom.person.analyze import analyze_person
from fitroom.person.anonymize import face_region


@pytest.fixture()
def folder(tmp_path):
    src = tmp_path / "customers"
    (src / "shop-7").mkdir(parents=True)
    im = Image.open(example_person())
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x9286] = "Jane Doe, 12 Privet Drive"  # UserComment-like text
    im.save(src / "shop-7" / "jane_doe_2026.jpg", exif=exif, comment=b"secret note")
    shutil.copy(example_person(), src / "john_smith.jpg")
    Image.new("RGB", (120, 160), (230, 230, 230)).save(src / "empty_wall.png")  # nobody in it
    (src / "skin_tone.json").write_text(json.dumps({"john_smith.jpg": "light", "jane_doe_2026.jpg": "light"}))
    return src


def test_the_copy_hides_faces_metadata_and_names(folder, tmp_path):
    key = b"k" * 32
    out = tmp_path / "out"
    s = anonymize_folder(folder, out, key=key)
    assert s.written == 2 and len(s.refused) == 1 and s.labels == 1
    files = sorted(p for p in out.rglob("*") if p.is_file())
    names = " ".join(str(p.relative_to(out)) for p in files)
    for secret in ("jane", "doe", "john", "smith", "shop-7", "2026"):
        assert secret not in names, names
    raw = b"".join(p.read_bytes() for p in files)
    assert b"PhoneMaker" not in raw and b"Privet" not in raw and b"secret note" not in raw
    for p in files:
        if p.suffix == ".jpg":
            with Image.open(p) as im:
                assert not im.getexif() and "comment" not in im.info
    # the face is pixelated where fitroom's analysis finds it; the rest of the photo is kept
    orig = load_image(example_person())
    region = face_region(analyze_person(orig))
    new = load_image(out / f"{hashed_name(key, 'john_smith')}.jpg")
    face_change = np.abs(new.astype(int) - orig.astype(int)).max(axis=2)[region].mean()
    rest_change = np.abs(new.astype(int) - orig.astype(int)).max(axis=2)[~region].mean()
    assert face_change > 4 * rest_change, (face_change, rest_change)
    labels = json.loads((out / "skin_tone.json").read_text())
    assert set(labels) == {f"{hashed_name(key, 'john_smith')}.jpg", f"{hashed_name(key, 'shop-7/jane_doe_2026')}.jpg"}
    # the same key gives the same names; without one, names cannot be guessed from the originals
    again = anonymize_folder(folder, tmp_path / "again", key=key)
    assert again.written == 2
    assert sorted(p.name for p in (tmp_path / "again").rglob("*.jpg")) == sorted(p.name for p in out.rglob("*.jpg"))
    anonymize_folder(folder, tmp_path / "random")
    assert not set(p.name for p in (tmp_path / "random").rglob("*.jpg")) & set(p.name for p in out.rglob("*.jpg"))


def test_bad_folders_are_one_line_errors(folder, tmp_path):
    with pytest.raises(FitroomError, match="outside"):
        anonymize_folder(folder, folder / "anon")
    with pytest.raises(FitroomError, match="not a folder"):
        anonymize_folder(tmp_path / "nope", tmp_path / "o")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FitroomError, match="no photos"):
        anonymize_folder(tmp_path / "empty", tmp_path / "o")
