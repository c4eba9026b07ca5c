"""``fitroom evaluate`` end to end on a tiny synthetic set: report.html, preservation fields."""

import dataclasses
import json
import re
from urllib.parse import unquote

import numpy as np
import pytest
from typer.testing import CliRunner

from fitroom.data.synth.writer import synthesize


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("evsyn")
    synthesize(root, 20, (64, 48), seed=11, workers=1)
    return root


def test_cli_writes_report_and_preservation(data, tmp_path):
    from fitroom.cli import app

    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--split", "test", "--out", str(out),
                                   "--grid-rows", "2"])
    assert res.exit_code == 0, res.output
    assert "preserved_changed=" in res.output and "report.html" in res.output
    m = json.loads((out / "metrics.json").read_text())
    ok = [r for r in m["samples"] if r["status"] == "ok"]
    assert ok
    for r in ok:  # the existing outputs stay, the new fields are added
        assert (out / "images" / f"{r['person']}.png").is_file()
        assert r["ssim"] is not None
        # SSIM on the truth's garment pixels: lower than the whole image's (kept pixels are exact)
        assert -1.0 <= r["ssim_garment"] <= 1.0 and r["ssim_garment"] < r["ssim"]
        for k in ("face", "hair", "background", "all"):
            assert 0.0 <= r[f"preserve_{k}_changed"] <= 1.0
        assert isinstance(r["preserve_ok"], bool)
    s = m["subsets"]["all"]
    assert 0.0 <= s["preserve_all_changed"] <= 1.0 and isinstance(s["preserve_violations"], int)
    html = (out / "report.html").read_text()
    links = [unquote(x) for x in re.findall(r'(?:src|href)="([^"]+)"', html)]
    assert links and all((out / l).is_file() for l in links)
    assert any(l.startswith("grids/") and l.endswith("_first.png") for l in links)
    assert any(l.startswith("images/") for l in links)
    assert "SSIM" in html and "not computed: no weights" in html and "by skin tone" in html


def test_a_try_on_that_alters_the_face_is_flagged(data, tmp_path, monkeypatch):
    import fitroom.pipelines as pipelines
    from fitroom.eval.evaluate import evaluate
    from fitroom.labels import Cihp

    class FaceChanging(pipelines.TryOnPipeline):
        def __call__(self, person, garment, **kw):
            result = super().__call__(person, garment, **kw)
            img = result.image.copy()
            img[np.isin(person.parse, (Cihp.FACE,))] = (255, 0, 255)
            return dataclasses.replace(result, image=img)

    monkeypatch.setattr(pipelines, "TryOnPipeline", FaceChanging)
    m = evaluate(data, tmp_path / "bad", split="test", report=False)
    ok = [r for r in m["samples"] if r["status"] == "ok"]
    assert ok, m["samples"]
    for r in ok:
        assert r["preserve_face_changed"] > 0.9 and r["preserve_ok"] is False
    assert m["subsets"]["all"]["preserve_violations"] == len(ok)
    assert not (tmp_path / "bad" / "report.html").exists()


def test_everyday_measures_on_a_paired_set_measured_unpaired(data, tmp_path):
    """--shift-garments: every person gets another sample's garment as an everyday try-on,
    measured by kept body, skin colour and seams, broken down by skin tone."""
    from fitroom.eval.evaluate import evaluate

    m = evaluate(data, tmp_path / "ev", split="test", shift_garments=True, engine="classical", grid_rows=2)
    ok = [r for r in m["samples"] if r["status"] == "ok"]
    assert ok and not any(r["paired"] for r in ok)
    for r in ok:
        assert r["ssim"] is None if "ssim" in r else True  # no ground truth
        assert 0.0 <= r["kept_body"] <= 1.0 if r["kept_body"] is not None else True
        assert (tmp_path / "ev" / "images" / f"{r['person']}__{r['garment']}.png").is_file()
    s = m["subsets"]["all"]
    assert s["kept_body"] is not None and s["kept_body"] >= 0.9
    # the seam per made material too; the whole is a mix of them
    parts = [s[f"seam_ratio_{k}_median"] for k in ("background", "skin", "lower")]
    assert any(p is not None for p in parts) and s["seam_ratio_median"] is not None
    for r in ok:  # a seam is measured where at least one material meets its real self
        own = [r[f"seam_ratio_{k}"] for k in ("background", "skin", "lower") if r[f"seam_ratio_{k}"] is not None]
        assert (r["seam_ratio"] is None) == (not own)
    # what the new garment covers is not a change of the lower body or background (a longer
    # top covers the waistband); outside it, nothing preserved changes
    assert s["preserve_violations"] == 0, [(r["person"], r["preserve_all_changed"]) for r in ok]
    # breakdowns carry the everyday measures too (by skin tone when the test split has several)
    assert all("kept_body" in g for b in s["breakdowns"].values() for g in b.values())
    assert "everyday" in (tmp_path / "ev" / "report.html").read_text()


def test_every_garment_tries_every_garment_of_an_unpaired_subset_on_every_person():
    from pathlib import Path

    from fitroom.data.sample import TryOnSample
    from fitroom.eval.evaluate import _every_garment

    def s(p, g, paired=False):
        return TryOnSample(person_id=p, garment_id=g, person_path=Path(p), garment_path=Path(g), paired=paired,
                           subset="x")

    out = _every_garment([s("a", "1"), s("b", "2"), s("c", "3"), s("d", "d", paired=True)])
    pairs = {(x.person_id, x.garment_id) for x in out}
    assert len(out) == 10 and ("a", "3") in pairs and ("c", "1") in pairs and ("d", "d") in pairs


def test_everyday_preservation_counts_what_the_new_garment_does_not_cover(data, tmp_path, monkeypatch):
    """A top worn longer than the old one may cover the lower garment: not a change of the
    lower body; the same change where the garment does not cover it is."""
    import fitroom.pipelines as pipelines
    from fitroom.eval.evaluate import evaluate
    from fitroom.labels import Cihp

    cover = {"garment": True}

    class Longer(pipelines.TryOnPipeline):
        def __call__(self, person, garment, **kw):
            result = super().__call__(person, garment, **kw)
            lower = np.isin(person.parse, (Cihp.PANTS, Cihp.SKIRT))
            img = result.image.copy()
            img[lower] = (255, 0, 255)
            alpha = result.layer.alpha.copy()
            if cover["garment"]:
                alpha[lower] = 1.0
            return dataclasses.replace(result, image=img, layer=dataclasses.replace(result.layer, alpha=alpha))

    monkeypatch.setattr(pipelines, "TryOnPipeline", Longer)
    m = evaluate(data, tmp_path / "covered", split="test", shift_garments=True, engine="classical", report=False)
    cover["garment"] = False
    m_un = evaluate(data, tmp_path / "uncovered", split="test", shift_garments=True, engine="classical", report=False)
    ok = [r for r in m_un["samples"] if r["status"] == "ok" and r["preserve_lower_body_changed"] is not None]
    assert ok and all(r["preserve_lower_body_changed"] > 0.5 and not r["preserve_ok"] for r in ok)
    covered = {(r["person"], r["garment"]): r for r in m["samples"]}
    for r in ok:
        c = covered[(r["person"], r["garment"])]
        assert c["preserve_lower_body_changed"] in (None, 0.0) and c["preserve_ok"]
