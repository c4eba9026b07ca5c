"""The try-on engine: one per process, models loaded once, analyses cached."""

from __future__ import annotations

from fitroom.service.engine import get_engine

from .helpers import auth, demo_garment, running_app, signup, tryon, upload_photo


def test_one_engine_per_process_shared_by_apps(tmp_path):
    with running_app(tmp_path / "a") as a, running_app(tmp_path / "b") as b:
        ea, eb = a.app.state.services.engine, b.app.state.services.engine
        assert ea is eb is get_engine()
        assert ea._loaded


def test_person_analysis_is_computed_once_per_photo(tmp_path, monkeypatch):
    with running_app(tmp_path) as c:
        engine = c.app.state.services.engine
        calls = []
        original = engine.analyze_person

        def counting(image):
            calls.append(image.shape)
            return original(image)

        monkeypatch.setattr(engine, "analyze_person", counting)
        h = signup(c)
        photo = upload_photo(c, h)
        items = c.get("/v1/garments", headers=auth(h)).json()["items"]
        engine.forget(photo["id"])  # not in memory: read from the cached file, not recomputed
        for g in items[:3]:
            assert tryon(c, h, photo["id"], g["id"])["status"] == "succeeded"
        assert len(calls) == 1  # at upload only


def test_long_poll_is_capped(tmp_path):
    import time

    with running_app(tmp_path, workers=0, wait_max_seconds=0.5) as c:
        h = signup(c)
        photo = upload_photo(c, h)
        r = c.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": demo_garment(c, h)["id"]})
        t0 = time.monotonic()
        r = c.get(f"/v1/tryons/{r.json()['id']}", headers=auth(h), params={"wait": 3600})
        assert r.status_code == 200 and r.json()["status"] == "queued"
        assert 0.4 < time.monotonic() - t0 < 5


def test_missing_analysis_is_recomputed_lazily_and_cached_again(tmp_path):
    from fitroom.service.models import Photo

    with running_app(tmp_path) as c:
        svc = c.app.state.services
        h = signup(c)
        photo = upload_photo(c, h)
        with svc.db.session() as s:
            rel = s.get(Photo, photo["id"]).analysis_path
        svc.storage.delete(rel)
        svc.engine.forget(photo["id"])
        assert tryon(c, h, photo["id"], demo_garment(c, h)["id"])["status"] == "succeeded"
        with svc.db.session() as s:
            assert svc.storage.exists(s.get(Photo, photo["id"]).analysis_path)


def test_the_learned_engine_is_a_setting(tmp_path):
    import numpy as np

    from fitroom.service.engine import decode_upload
    from fitroom.imaging import ImageLimits

    # the default; named here so that the test keeps testing the learned engine
    with running_app(tmp_path, engine="learned", workers=2) as c:
        engine = c.app.state.services.engine
        assert engine.pipe.engine == "learned"
        assert engine.torch_threads == max(1, (__import__("os").cpu_count() or 1) // 2)  # cores shared by 2 workers
        h = signup(c)
        photo = upload_photo(c, h)
        job = tryon(c, h, photo["id"], demo_garment(c, h)["id"])
        assert job["status"] == "succeeded"
        out = decode_upload(c.get(job["image_url"], headers=auth(h)).content, ImageLimits())
        before = decode_upload(c.get(photo["image_url"], headers=auth(h)).content, ImageLimits())
        assert out.shape == before.shape and np.abs(out.astype(int) - before).mean() > 1
    # the default process engine is the learned one for whoever asks next
    assert get_engine().pipe.engine == "learned"


def test_the_default_engine_is_the_learned_one_with_the_shipped_weights(tmp_path):
    """As for 'fitroom tryon': the service's default engine is the learned one, which loads
    the weights shipped in the package."""
    from fitroom.pipelines.tryon import DEFAULT_ENGINE, DEFAULT_WEIGHTS
    from fitroom.service.settings import Settings

    assert Settings().engine == "learned" == DEFAULT_ENGINE
    assert (DEFAULT_WEIGHTS / "warp" / "model.safetensors").is_file()
    with running_app(tmp_path) as c:  # no engine named
        engine = c.app.state.services.engine
        assert engine.pipe.engine == "learned" and engine.torch_threads is not None
        assert engine.pipe._learned is not None  # the networks are loaded
        h = signup(c)
        job = tryon(c, h, upload_photo(c, h)["id"], demo_garment(c, h)["id"])
        assert job["status"] == "succeeded", job


def test_the_classical_engine_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("FITROOM_ENGINE", "classical")
    with running_app(tmp_path) as c:
        engine = c.app.state.services.engine
        assert engine.pipe.engine == "classical" and engine.torch_threads is None
        h = signup(c)
        job = tryon(c, h, upload_photo(c, h)["id"], demo_garment(c, h)["id"])
        assert job["status"] == "succeeded", job
        assert c.get("/v1/info").json()["engine"] == "classical"
    monkeypatch.delenv("FITROOM_ENGINE")
    assert get_engine().pipe.engine == "learned"


def test_many_shoppers_in_turn_keep_their_try_on_preparation():
    """20 people trying on in turn (the load test's pattern): each person's edit regions and
    removed region are made once, not again on every try-on (it once kept a single one)."""
    import copy

    from fitroom.examples import example_garments, example_person
    from fitroom.imaging import load_image
    from fitroom.service.engine import TryOnEngine

    eng = TryOnEngine(engine="classical")
    base = eng.analyze_person(load_image(example_person()))
    people = [copy.deepcopy(base) for _ in range(20)]  # 20 analyses, as from 20 photos
    ga = eng.analyze_garment(load_image(example_garments()[1]))
    made = []
    real = eng.pipe._make_prepared

    def counting(pa, dress, protocol):
        made.append(id(pa))
        return real(pa, dress, protocol)

    eng.pipe._make_prepared = counting
    for _ in range(2):
        for pa in people:
            eng.try_on(pa, ga)
    assert len(made) == 20  # once per person, the second round from the cache


def test_a_known_garment_mask_is_used_and_fitted_to_its_photo():
    import numpy as np

    from fitroom.imaging import load_image
    from fitroom.pipelines.tryoff import tryoff
    from fitroom.service.engine import TryOnEngine

    from .helpers import PERSON_JPG

    off = tryoff(load_image(PERSON_JPG), size=(512, 384))
    engine = TryOnEngine(engine="classical")
    # the try-off's own mask is the garment's, even where the photo-based one would differ
    ga = engine.garment("a", lambda: off.image, category=str(off.garment_category), load_mask_=lambda: off.mask)
    assert (ga.mask | ga.inner_mask == off.mask).mean() > 0.99
    # a stored mask of another size (an old row) is scaled to the photo, not an error
    half = off.mask[::2, ::2]
    gb = engine.garment("b", lambda: off.image, category=str(off.garment_category), load_mask_=lambda: half)
    assert gb.mask.shape == off.mask.shape
    # an unreadable or empty one: the mask is found in the photo again
    gc = engine.garment("c", lambda: off.image, category=str(off.garment_category),
                        load_mask_=lambda: np.zeros_like(off.mask))
    assert gc.mask.any()
