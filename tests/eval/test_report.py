import json
import re
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image

from fitroom.eval.report import GridCollector, bar_chart, histogram, write_report
from fitroom.labels import Cihp


def _links(html: str) -> list[str]:
    return [unquote(x) for x in re.findall(r'(?:src|href)="([^"]+)"', html)]


def _assert_links_exist(out: Path, html: str) -> list[str]:
    links = _links(html)
    for rel in links:
        assert not rel.startswith(("http:", "https:", "//", "/")), rel  # self-contained, relative
        assert (out / rel).is_file(), rel
    assert "<script" not in html
    return links


def _sample(i: int, ssim: float | None, ok: bool = True) -> dict:
    person = "p 1#x" if i == 1 else f"{i:05d}_00"  # links are URL-quoted
    r = {"subset": "a" if i % 2 else "b", "person": person, "garment": f"{i:05d}_00", "paired": ssim is not None,
         "status": "ok", "category": "dress", "seconds": 0.1}
    if ssim is not None:
        r.update(ssim=ssim, psnr=20 + 10 * ssim, ms_ssim=ssim)
    r.update(preserve_face_changed=0.0, preserve_all_changed=0.0 if ok else 0.2, preserve_ok=ok)
    return r


def _images(h=40, w=30):
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    parse = np.zeros((h, w), np.uint8)
    parse[5:15, 10:20] = Cihp.FACE
    return photo, parse


def test_report_has_tables_plots_grids_and_only_existing_links(tmp_path):
    out = tmp_path / "rep"
    (out / "images").mkdir(parents=True)
    samples = [_sample(i, 0.5 + 0.03 * i, ok=i != 3) for i in range(10)]
    samples.append({"subset": "a", "person": "00099_00", "garment": "x", "paired": True, "status": "failed",
                    "cause": "NoPersonError", "message": "no person <found>", "seconds": 0.0})
    photo, parse = _images()
    grids = GridCollector(first=2, worst=3)
    for r in samples[:10]:
        Image.fromarray(photo).save(out / "images" / f"{r['person']}.png")
        changed = photo.copy()
        if not r["preserve_ok"]:
            changed[5:15, 10:20] = 0
        grids.add(r, person=photo, garment=photo, result=changed, model_input=photo, truth=photo, parse=parse)
    subsets = {}
    for name in ("a", "b", "all"):
        rs = [r for r in samples if name in ("all", r["subset"])]
        ok = [r for r in rs if r["status"] == "ok"]
        subsets[name] = {"n": len(rs), "n_paired": len(rs), "failed": len(rs) - len(ok),
                         "ssim": float(np.mean([r["ssim"] for r in ok])), "psnr": 25.0,
                         "lpips": "not computed: no weights (give --lpips-weights PATH)",
                         "preserve_all_changed": 0.02, "preserve_face_changed": 0.0, "preserve_violations": 1,
                         "failures_by_cause": {"NoPersonError": 1} if name != "b" else {},
                         "robustness": 0.931,
                         "breakdowns": {"skin_tone": {"2": {"n": 3, "ssim": 0.6, "psnr": 20.0,
                                                            "preserve_all_changed": 0.05, "skin_delta_e_median": 3.25,
                                                            "robustness": 0.912},
                                                      "9": {"n": 2, "ssim": 0.8, "psnr": 25.0}}}}
    report = {"data": "d", "engine": "classical", "analysis": "given", "protocol": "p", "subsets": subsets,
              "samples": samples}
    path = write_report(report, out, grids)
    html = path.read_text()
    assert path == out / "report.html"
    links = _assert_links_exist(out, html)
    # grids: first and worst per subset; the worst of "a" are its 3 lowest SSIMs
    assert {"grids/a_first.png", "grids/a_worst.png", "grids/b_first.png", "grids/b_worst.png"} <= set(links)
    a_ssims = sorted(r["ssim"] for r in samples if r["subset"] == "a" and r.get("ssim") is not None)
    assert [w[0] for w in grids.worst["a"]] == pytest.approx(a_ssims[:3])
    assert len(grids.first["a"]) == 2
    # the one sample that altered a preserved region gets its own grid, in its subset only
    assert "grids/a_altered.png" in links and not any("b_altered" in l for l in links)
    assert len(grids.altered["a"]) == 1
    grid = Image.open(out / "grids/a_worst.png")
    assert grid.height > 3 * 150 and grid.width > 5 * 100
    # result images of every successful sample are linked; the failed one has none on disk
    assert "images/p 1#x.png" in links and "images/00003_00.png" in links and "images/00099_00.png" not in links
    # tables: summary with every subset, the "not computed" note, preservation, breakdown, failures
    assert "<th>a</th><th>b</th><th>all</th>" in html.replace("\n", "")
    assert "not computed: no weights" in html
    assert "preserved pixels changed" in html and "2.00%" in html
    assert "by skin tone" in html and "5.00%" in html
    # the everyday and robustness measures by skin tone too, where the rows have them
    assert "made skin ΔE (median)" in html and "3.25" in html and "<th>robustness</th>" in html and "0.912" in html
    assert "robustness: SSIM(f(T x), T f(x))" in html and "0.931" in html
    assert "NoPersonError" in html and "no person &lt;found&gt;" in html  # escaped
    assert 'class="bad"' in html  # violations and the failure are flagged
    assert any(l.startswith("plots/ssim_by_skin_tone") for l in links)
    assert any(l.startswith("plots/ssim_hist") for l in links)


def test_bar_chart_and_histogram(tmp_path):
    p = bar_chart(tmp_path / "b.png", "SSIM by x", ["a", "bb", "ccc"], [0.5, None, 1.0], notes=["n=1"] * 3, vmax=1.0)
    img = np.asarray(Image.open(p).convert("RGB"))
    bar = np.all(img == (66, 110, 170), axis=2)
    rows = np.nonzero(bar.any(axis=1))[0]
    # two bars, the second (1.0) twice as long as the first (0.5)
    widths = [bar[r].sum() for r in rows]
    assert max(widths) == pytest.approx(2 * min(widths), abs=2)
    h = histogram(tmp_path / "h.png", "t", [0.1, 0.2, 0.2, 0.9], bins=4, lo=0.0, hi=1.0)
    assert Image.open(h).size[0] > 400
    with pytest.raises(ValueError, match="labels"):
        bar_chart(tmp_path / "x.png", "t", ["a"], [1.0, 2.0])
    with pytest.raises(ValueError, match="no finite"):
        histogram(tmp_path / "y.png", "t", [None, float("nan")])


def test_report_without_paired_results(tmp_path):
    samples = [{"subset": "u", "person": "p1", "garment": "g", "paired": False, "status": "ok",
                "preserve_all_changed": 0.0, "preserve_ok": True}]
    report = {"data": "d", "engine": "classical", "analysis": "own", "protocol": "p", "samples": samples,
              "subsets": {"u": {"n": 1, "failed": 0, "ssim": None, "breakdowns": {"detected_category": {}}},
                          "all": {"n": 1, "failed": 0, "ssim": None, "breakdowns": {}}}}
    html = write_report(report, tmp_path).read_text()
    assert "No paired results to break down" in html
    _assert_links_exist(tmp_path, html)
    json.dumps(report)  # untouched and serialisable
