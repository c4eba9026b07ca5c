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
