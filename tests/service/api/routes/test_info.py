"""GET /v1/info (engine, weights, their licence), its model card, and the sample photo."""

from __future__ import annotations

import re

from fitroom.examples import example_person
from fitroom.pipelines.tryon import DEFAULT_WEIGHTS

from ...helpers import auth, demo_garment, running_app, signup, tryon, upload_photo


def _card_row(row: str) -> str:
    card = (DEFAULT_WEIGHTS / "MODEL_CARD.md").read_text()
    return re.search(rf"^\| {row} \| (.*) \|$", card, flags=re.MULTILINE).group(1)


def test_info_names_the_engine_and_the_weights_licence_from_the_model_card(client):
    r = client.get("/v1/info")  # no sign-in
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["engine"] == "learned"  # the default
    assert "warp-flow" in info["weights"] and "tryon-unet" in info["weights"]
    # what the model card says, not what the service assumes
    licence_line = _card_row("Licence")
    # the default weights are the real-photo ones: non-commercial, and the service says so
    assert info["licence"] == licence_line.split(" ")[0] == "CC-BY-NC-4.0"
    assert info["licence_note"].startswith("CC-BY-NC-4.0") and "non-commercial" in info["licence_note"]
    data = info["training_data"]
    assert "real photos" in data and "VITON-HD" in data
    assert "`" not in data and "fitroom data real" not in data  # the card's command is left out
    assert info["sample_person_url"] == "/v1/samples/person"
    card = client.get(info["model_card_url"])
    assert card.status_code == 200 and card.headers["content-type"].startswith("text/plain")
    assert "| Licence |" in card.text


def test_info_with_the_commercially_usable_weights(tmp_path):
    with running_app(tmp_path, weights="synthetic") as c:
        info = c.get("/v1/info").json()
        assert info["engine"] == "learned" and info["licence"] == "Apache-2.0"
        assert info["training_data"].startswith("fitroom's own synthetic paired set only")


def test_info_with_the_classical_engine_has_no_weights(tmp_path):
    with running_app(tmp_path, engine="classical") as c:
        info = c.get("/v1/info").json()
        assert info["engine"] == "classical"
        assert info["weights"] is info["licence"] is info["model_card_url"] is None
        assert c.get("/v1/info/model-card").status_code == 404


def test_the_sample_photo_is_public_and_works_as_a_photo(client):
    r = client.get("/v1/samples/person")  # no sign-in: a visitor sees a try-on before uploading themselves
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == example_person().read_bytes()
    assert r.headers["cache-control"].startswith("public")
    h = signup(client)
    photo = upload_photo(client, h, r.content, name="Sample photo.jpg")  # the app's own upload
    assert photo["name"] == "Sample photo.jpg"
    job = tryon(client, h, photo["id"], demo_garment(client, h)["id"])
    assert job["status"] == "succeeded" and job["photo_id"] == photo["id"]
    assert client.get(job["image_url"], headers=auth(h)).status_code == 200
