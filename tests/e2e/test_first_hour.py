"""A visitor's first hour (issue 17): the sample photo, whole garment names, history that
names photo and garment, the engine and its licence, the share page and its link preview,
private images not cached, and error toasts that stack.

Screenshots for people to look at go to out/issue17/ (beside out/e2e/, gitignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ISSUE_SHOTS = REPO / "out" / "issue17"
OG_PREVIEW = Path(__file__).resolve().parent / "og_preview.html"


def _issue_shot(page, name: str, full_page: bool = False) -> Path:
    ISSUE_SHOTS.mkdir(parents=True, exist_ok=True)
    path = ISSUE_SHOTS / f"{name}.png"
    page.wait_for_timeout(350)
    page.screenshot(path=str(path), animations="disabled", full_page=full_page)
    return path


def _use_sample(page, e2e) -> None:
    button = page.locator("#stage-empty [data-action=sample]")
    assert button.is_visible() and "sample photo" in button.inner_text().lower()
    button.click()
    e2e.upload_photo(page, None)  # the same upload flow as a photo of one's own


def _try_first_garment(page, e2e) -> tuple[str, str]:
    card = page.locator("#garment-grid .garment[data-garment-id]").first
    name = card.locator(".garment-name").inner_text()
    card.click()
    tryon_id = e2e.wait_result(page)
    page.wait_for_selector("#stage-busy", state="hidden", timeout=10_000)
    return tryon_id, name


def test_sample_photo_whole_names_history_and_about(open_page, e2e):
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("sample"))

    # ---- the sample photo: a try-on before uploading one's own body
    _use_sample(page, e2e)
    assert page.inner_text("#caption-title") == "The sample photo"
    assert page.get_attribute("#photo-strip .photo-thumb .pick", "title") == "Sample photo"
    tryon_id, garment = _try_first_garment(page, e2e)
    assert page.inner_text("#caption-title") == garment
    assert "on Sample photo" in page.inner_text("#caption-sub")
    d = e2e.image_diff(page, "#before-img", "#after-img")
    assert d["a"] == d["b"] and d["changed"] > 0.02, d
    _issue_shot(page, "a_sample_photo_result")

    # ---- history: which photo and which garment
    page.click("#tab-history")
    item = page.locator(f"#history-grid .history-item[data-tryon-id='{tryon_id}']")
    item.wait_for()
    assert item.locator(".history-garment").inner_text() == garment
    assert item.locator(".history-photo").inner_text().strip() == "Sample photo"
    assert item.get_attribute("title") == f"{garment} on Sample photo"
    page.wait_for_function("() => [...document.querySelectorAll('#history-grid img')].every(i => i.complete && i.naturalWidth > 0)")
    _issue_shot(page, "a2_history_names_photo_and_garment")

    # ---- the engine and its weights' licence: footer line and the about box
    page.wait_for_function("() => document.querySelector('#footer-engine').textContent.length > 0")
    footer = page.inner_text("#footer-engine")
    assert "learned engine" in footer and "CC-BY-NC-4.0" in footer, footer  # the real-photo weights
    page.click("#about-button")
    page.wait_for_selector("#about-dialog[open]")
    page.wait_for_function("() => document.querySelector('#about-list').dataset.engine === 'learned'")
    assert page.inner_text("#about-engine").startswith("Learned")
    assert page.inner_text("#about-licence").startswith("CC-BY-NC-4.0")
    assert "real photos" in page.inner_text("#about-data")
    card = page.request.get(page.get_attribute("#about-card", "href"))
    assert card.ok and "Licence" in card.text()
    _issue_shot(page, "a3_about_engine_and_licence")
    page.click("#about-dialog button[value=close]")

    # ---- catalog names are whole (they wrap), with the name as a tooltip too, even on a phone
    page.click("#tab-catalog")
    for width in (1440, 1280, 360):  # the old ellipsis cut names at 1440 and 360 px
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_timeout(200)
        cut = page.eval_on_selector_all(
            "#garment-grid .garment[data-garment-id] .garment-name",
            """els => els.filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1
                                     || getComputedStyle(e).textOverflow === 'ellipsis').map(e => e.textContent)""")
        assert cut == [], f"names cut off at {width} px: {cut}"
    tips = page.eval_on_selector_all(
        "#garment-grid .garment[data-garment-id]",
        "els => els.map(e => [e.querySelector('.garment-name').textContent, e.querySelector('.garment-info').title])")
    assert tips and all(name == tip for name, tip in tips), tips
    page.locator("#garment-grid .garment[data-garment-id]").first.scroll_into_view_if_needed()
    _issue_shot(page, "a4_phone_catalog_names")


def test_share_page_link_preview_and_no_cache_after_delete(open_page, browser, e2e, server):
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("share"))
    _use_sample(page, e2e)
    tryon_id, garment = _try_first_garment(page, e2e)

    page.click("#share-button")
    page.wait_for_selector("#share-dialog[open]")
    url = page.input_value("#share-url")
    assert url.startswith(server + "/v1/shared/"), url
    assert page.get_attribute("#share-open", "href") == url

    # ---- someone else opens the link: a page, not a bare JPEG
    ctx = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        visitor = ctx.new_page()
        res = visitor.goto(url)
        assert res.ok and res.headers["content-type"].startswith("text/html"), res.headers
        visitor.wait_for_function("() => { const i = document.querySelector('img.picture'); return i.complete && i.naturalWidth > 0; }")
        assert visitor.inner_text("h1") == garment
        assert "made with fitroom" in " ".join(visitor.inner_text("body").split())
        og = visitor.eval_on_selector_all(
            "meta[property], meta[name]", "els => Object.fromEntries(els.map(e => [e.getAttribute('property') || e.getAttribute('name'), e.content]))")
        assert og["og:type"] == "website" and garment in og["og:title"] and og["og:description"]
        assert og["og:image"] == url + "/image" and og["twitter:card"] == "summary_large_image"
        assert og["twitter:image"] == og["og:image"]
        assert visitor.get_attribute("img.picture", "src") == og["og:image"]
        image = visitor.request.get(og["og:image"])
        assert image.ok and image.headers["content-type"] == "image/jpeg"
        _issue_shot(visitor, "b_share_page", full_page=True)

        # ---- a chat app's link preview, built from the page's own tags
        preview = f"{server}/__og_preview.html"
        visitor.route(re.compile(re.escape(preview) + r"(\?.*)?$"),
                      lambda route: route.fulfill(path=str(OG_PREVIEW), content_type="text/html"))
        visitor.set_viewport_size({"width": 640, "height": 900})
        visitor.goto(f"{preview}?url={url}")
        visitor.wait_for_function("() => document.body.dataset.ready", timeout=20_000)
        assert visitor.evaluate("document.body.dataset.ready") == "true"
        assert visitor.inner_text("#og-title") == og["og:title"]
        assert visitor.inner_text("#og-description") == og["og:description"]
        assert visitor.inner_text("#og-site") == "fitroom"
        assert visitor.evaluate("document.querySelector('#og-image').naturalWidth") > 0
        _issue_shot(visitor, "c_share_preview_chat", full_page=True)
    finally:
        ctx.close()

    # ---- private images are never cached: after "Delete my data" the browser has no copy
    result_url = f"/v1/tryons/{tryon_id}/image"
    cached = page.evaluate(
        """async (u) => { const r = await fetch(u, { headers: { Authorization: `Bearer ${localStorage.getItem('fitroom.token')}` } });
                          return [r.status, r.headers.get('cache-control')]; }""", result_url)
    assert cached == [200, "no-store"], cached
    page.click("#share-dialog button[value=close]")
    page.click("#account-button")
    page.click("#delete-account-button")
    page.wait_for_selector("#confirm-dialog[open]")
    page.click("#confirm-ok")
    page.wait_for_selector("#auth-view:not([hidden])")
    # force-cache: a cached copy would be used whatever its age; none may exist
    status = page.evaluate("async (u) => (await fetch(u, { cache: 'force-cache' })).status", result_url)
    assert status in (401, 404), status
    assert page.request.get(url).status == 404  # the shared link ended with the data


def test_error_toasts_stack(open_page, e2e, tmp_path: Path):
    """Several errors stay visible at once, each dismissable and hiding on its own timer
    (held while the pointer is on it); the same error again is counted, not repeated."""
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("toasts"))
    # time stands still unless the test moves it: the toasts' timers are under its control
    page.clock.install()
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)

    bogus = tmp_path / "notes.jpg"
    bogus.write_text("these are my holiday notes, not a photo\n" * 20)
    cut = tmp_path / "cut.jpg"
    jpeg = (e2e.examples / "astronaut.jpg").read_bytes()
    cut.write_bytes(jpeg[: len(jpeg) // 3])
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    wall = tmp_path / "wall.png"
    from PIL import Image

    Image.new("RGB", (300, 400), (200, 200, 200)).save(wall)

    toasts = page.locator("#toasts .toast.error:not(.leaving)")
    for i, f in enumerate([bogus, cut, empty, wall]):
        page.set_input_files("#file-input", str(f))
        page.wait_for_function(f"() => document.querySelectorAll('#toasts .toast.error:not(.leaving)').length === {i + 1}",
                               timeout=60_000)
        page.wait_for_selector("#stage-busy", state="hidden")
    texts = toasts.all_inner_texts()
    assert len(texts) == 4 and len(set(texts)) == 4, texts
    boxes = [toasts.nth(i).bounding_box() for i in range(4)]
    for a, b in zip(boxes, boxes[1:]):
        assert a["y"] + a["height"] <= b["y"] + 1, f"toasts overlap: {boxes}"  # stacked, newest at the bottom
    assert all(b["y"] >= 0 and b["y"] + b["height"] <= 800 for b in boxes), boxes
    assert toasts.locator(".toast-close").count() == 4

    # the same error again: counted on its toast, not a fifth copy
    page.set_input_files("#file-input", str(bogus))
    page.wait_for_function("() => !document.querySelector('#toasts .toast.error .toast-count').hidden")
    assert toasts.count() == 4
    assert toasts.first.locator(".toast-count").inner_text() == "×2"
    page.mouse.move(10, 790)
    _issue_shot(page, "d_toasts_stacked")

    # dismiss one: the others stay
    second = texts[1]
    toasts.nth(1).locator(".toast-close").click()
    page.mouse.move(10, 10)
    page.clock.run_for(400)
    assert toasts.count() == 3 and second not in toasts.all_inner_texts()

    # each hides on its own timer; the one under the pointer waits
    toasts.nth(2).hover()
    page.clock.run_for(9_000)
    assert toasts.count() == 1 and toasts.first.inner_text() == texts[3]
    page.mouse.move(10, 10)
    page.clock.run_for(9_000)
    assert page.locator("#toasts .toast").count() == 0
    assert re.search(r"\S", page.inner_text("#toasts")) is None
