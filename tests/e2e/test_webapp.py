"""The shopper's web app, end to end in a real browser against the real server.

Each step saves a screenshot under out/e2e/ (see conftest.py)."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def _garment_cards(page):
    return page.locator("#garment-grid .garment[data-garment-id]")


@contextlib.contextmanager
def _holding(page, pattern, method: str | None = None):
    """Holds back the requests matching ``pattern`` (and ``method``) until the block ends,
    so that a screenshot can show the app while it waits (the server here is often faster
    than a screenshot). Yields the list of held requests."""
    held = []

    def handler(route):
        if method and route.request.method != method:
            route.fallback()
        else:
            held.append(route)

    page.route(pattern, handler)
    try:
        yield held
    finally:
        for route in held:
            route.continue_()
        page.unroute(pattern, handler)


def _wait_held(page, held: list, timeout_s: float = 3.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if held:
            return
        page.wait_for_timeout(50)


def _try_on(page, e2e, index: int, previous: str | None, progress_shot: str | None = None) -> str:
    """Clicks the index-th garment and waits for its result; returns the try-on id.

    With ``progress_shot``, the first status poll is held back for a moment so that the
    screenshot shows the progress overlay."""
    card = _garment_cards(page).nth(index)
    if progress_shot:
        with _holding(page, re.compile(r"/v1/tryons/[^/?]+\?wait=")) as held:
            card.click()
            page.wait_for_selector("#stage-busy:not([hidden])", timeout=5_000)
            _wait_held(page, held)  # the poll comes unless the POST already returned a finished job
            page.wait_for_timeout(900)  # the progress bar moves on
            assert page.is_visible("#stage-busy"), "progress is shown while the try-on runs"
            assert page.inner_text("#busy-title").startswith("Fitting ")
            e2e.shot(page, progress_shot)
    else:
        card.click()
    tryon_id = e2e.wait_result(page, previous)
    page.wait_for_selector("#stage-busy", state="hidden", timeout=10_000)
    return tryon_id


def _readable_alert(page, selector: str = ".toast.error") -> str:
    """Waits for an error message and checks it reads as a sentence, not JSON or a status code."""
    box = page.wait_for_selector(selector, timeout=60_000)
    text = box.inner_text().strip()
    assert len(text) > 15, text
    assert "{" not in text and "Traceback" not in text and "undefined" not in text, text
    return text


def test_shopper_journey(open_page, e2e, server, tmp_path: Path):
    """Sign up, upload, try on two garments, compare, history, download, share, delete the account."""
    page = open_page(1280, 800)
    email = e2e.new_email()
    e2e.shot(page, "01_sign_in")

    # ---- sign up
    page.click("#tab-signup")
    page.fill("#auth-email", email)
    page.fill("#auth-password", e2e.password)
    e2e.shot(page, "02_sign_up_form")
    page.click("#auth-submit")
    page.wait_for_selector("#app-view:not([hidden])")
    e2e.wait_catalog(page)
    assert page.is_visible("#stage-empty")
    assert page.inner_text("#account-email") == email
    assert page.evaluate("localStorage.getItem('fitroom.token')"), "the token is kept in localStorage"
    # no camera on this headless browser: the webcam buttons are hidden, not broken
    assert page.eval_on_selector_all(".camera-only", "els => els.length > 0 && els.every(e => e.hidden)")
    e2e.shot(page, "03_empty_fitting_room")

    # ---- upload a photo (the upload is held back a moment to see the progress)
    with _holding(page, "**/v1/photos", "POST") as held:
        page.set_input_files("#file-input", str(e2e.examples / "astronaut.jpg"))
        _wait_held(page, held)
        assert held, "the photo is uploaded"
        assert page.is_visible("#stage-busy") and "Uploading" in page.inner_text("#busy-title")
        e2e.shot(page, "04_uploading_photo")
    e2e.upload_photo(page, None)
    assert page.is_visible("#pick-hint")
    assert page.locator("#photo-strip .photo-thumb").count() == 1
    e2e.shot(page, "05_photo_uploaded")

    # ---- browse by category
    chips = page.locator("#category-chips .chip")
    assert chips.count() >= 2, "category chips: All plus at least one category"
    all_count = _garment_cards(page).count()
    category_chip = chips.nth(1)
    category = category_chip.get_attribute("data-category")
    category_chip.click()
    page.wait_for_function(
        "(cat) => document.querySelector(`#category-chips .chip[data-category='${cat}']`).getAttribute('aria-pressed') === 'true'",
        arg=category,
    )
    page.wait_for_timeout(300)
    e2e.wait_catalog(page)
    shown = page.eval_on_selector_all("#garment-grid .garment-cat", "els => els.map(e => e.textContent)")
    assert shown and len(shown) <= all_count
    e2e.shot(page, "06_catalog_category")
    chips.nth(0).click()
    page.wait_for_function(f"() => document.querySelectorAll('#garment-grid .garment[data-garment-id]').length === {all_count}")
    e2e.wait_catalog(page)
    assert all_count >= 2, "the demo catalog has at least two garments"

    # ---- search
    word = page.inner_text("#garment-grid .garment-name").split()[0]
    page.fill("#search-input", word)
    page.wait_for_function(
        "(w) => { const names = [...document.querySelectorAll('#garment-grid .garment-name')].map(e => e.textContent);"
        " return names.length >= 1 && names.every(n => n.toLowerCase().includes(w.toLowerCase())); }", arg=word)
    page.fill("#search-input", "zzz-no-such-garment")
    page.wait_for_selector("#garment-grid .empty-note")
    assert "Nothing matches" in page.inner_text("#garment-grid")
    page.fill("#search-input", "")
    page.wait_for_function(f"() => document.querySelectorAll('#garment-grid .garment[data-garment-id]').length === {all_count}")
    e2e.wait_catalog(page)

    # ---- try on a first garment: progress, then the result
    first = _try_on(page, e2e, 0, None, progress_shot="07_tryon_in_progress")
    first_name = page.inner_text("#caption-title")
    d = e2e.image_diff(page, "#before-img", "#after-img")
    assert d["a"] == d["b"], f"result size {d['b']} differs from the photo's {d['a']}"
    assert d["changed"] > 0.02 and d["mean"] > 1.0, f"the result looks like the input photo: {d}"
    e2e.shot(page, "08_result_first_garment")

    # ---- and a second one
    second = _try_on(page, e2e, 1, first)
    assert second != first
    second_name = page.inner_text("#caption-title")
    assert second_name != first_name
    d2 = e2e.image_diff(page, "#before-img", "#after-img")
    assert d2["changed"] > 0.02, f"the second result looks like the input photo: {d2}"
    e2e.shot(page, "09_result_second_garment")

    # ---- the before/after slider: drag with the mouse, then the keyboard
    box = page.locator("#compare").bounding_box()
    handle = page.locator("#compare-handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=3)
    page.mouse.move(box["x"] + box["width"] * 0.78, box["y"] + box["height"] * 0.5, steps=6)
    page.mouse.up()
    value = int(page.get_attribute("#compare-handle", "aria-valuenow"))
    assert 74 <= value <= 82, value
    page.focus("#compare-handle")
    page.keyboard.press("Home")
    assert page.get_attribute("#compare-handle", "aria-valuenow") == "0"
    page.keyboard.press("End")
    assert page.get_attribute("#compare-handle", "aria-valuenow") == "100"
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    assert page.get_attribute("#compare-handle", "aria-valuenow") == "70"
    # what is drawn follows the value: the before image is clipped at 70 %
    clip = page.eval_on_selector(".compare-before", "e => getComputedStyle(e).clipPath")
    assert "30%" in clip, clip
    e2e.shot(page, "10_before_after_slider")

    # ---- history: both results, images loaded
    page.click("#tab-history")
    items = page.locator("#history-grid .history-item[data-status=succeeded]")
    items.first.wait_for()
    assert items.count() == 2
    assert page.inner_text("#history-count") == "2"
    page.wait_for_function(
        "() => [...document.querySelectorAll('#history-grid .history-item img')].length === 2 && "
        "[...document.querySelectorAll('#history-grid .history-item img')].every(i => i.complete && i.naturalWidth > 0 && !i.classList.contains('loading'))"
    )
    d12 = e2e.image_diff(page, "#history-grid .history-card:nth-child(1) img", "#history-grid .history-card:nth-child(2) img")
    assert d12["changed"] > 0.01, f"the two results look the same: {d12}"
    e2e.shot(page, "11_history")
    # a reload keeps the session (token in localStorage), the photo and the history
    page.reload()
    page.wait_for_selector("#app-view:not([hidden])")
    page.wait_for_selector("#compare[data-state=photo]:not([hidden])")
    page.click("#tab-history")
    items.nth(1).wait_for()
    assert items.count() == 2
    # opening the older one from the history shows it on the stage
    page.locator(f"#history-grid .history-item[data-tryon-id='{first}']").click()
    e2e.wait_result(page)
    assert page.get_attribute("#compare", "data-tryon-id") == first
    assert page.inner_text("#caption-title") == first_name

    # ---- download the result shown
    with page.expect_download() as info:
        page.click("#download-button")
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename.startswith("fitroom-"), download.suggested_filename
    with Image.open(saved) as im:
        assert im.size == (512, 512), im.size
    (e2e.shots / f"12_downloaded_result{saved.suffix}").write_bytes(saved.read_bytes())
    e2e.shot(page, "12_after_download")

    # ---- share link (works without signing in)
    page.click("#share-button")
    page.wait_for_selector("#share-dialog[open]")
    url = page.input_value("#share-url")
    assert url.startswith("http"), url
    res = page.request.get(url, headers={"Accept": "text/html"})  # no Authorization header
    assert res.ok and res.headers["content-type"].startswith("text/html"), (res.status, res.headers)
    og_image = re.search(r'<meta property="og:image" content="([^"]+)"', res.text()).group(1)
    img = page.request.get(og_image)
    assert img.ok and img.headers["content-type"].startswith("image/"), (img.status, img.headers)
    e2e.shot(page, "13_share_link")
    # "hide my face": a new link whose picture is pixelated; the first one stops working
    page.check("#share-hide-face")
    page.wait_for_function("(old) => document.querySelector('#share-url').value !== old", arg=url)
    hidden_url = page.input_value("#share-url")
    assert page.request.get(url).status == 404
    hidden = page.request.get(hidden_url + "/image")
    assert hidden.ok and hidden.body() != img.body()
    e2e.shot(page, "13b_share_link_face_hidden")
    # "stop sharing": the link is revoked at once
    page.click("#share-revoke")
    page.wait_for_function("() => document.querySelector('#share-copy').disabled")
    assert page.request.get(hidden_url).status == 404
    page.click("#share-dialog button[value=close]")

    # ---- delete my data
    page.click("#account-button")
    page.wait_for_selector("#account-menu:not([hidden])")
    e2e.shot(page, "14_account_menu")
    page.click("#delete-account-button")
    page.wait_for_selector("#confirm-dialog[open]")
    assert email in page.inner_text("#confirm-text")
    e2e.shot(page, "15_delete_confirm")
    page.click("#confirm-ok")
    page.wait_for_selector("#auth-view:not([hidden])")
    page.wait_for_selector(".toast.success")
    assert page.evaluate("localStorage.getItem('fitroom.token')") is None
    e2e.shot(page, "16_account_deleted")

    # ---- signing in again fails with a readable message
    e2e.sign_in(page, email)
    message = _readable_alert(page, "#auth-error:not([hidden])")
    e2e.shot(page, "17_sign_in_after_delete")
    api = page.request.post(f"{server}/v1/auth/signin", data=json.dumps({"email": email, "password": e2e.password}),
                            headers={"Content-Type": "application/json"})
    assert api.status == 401, api.status
    assert api.json()["error"]["message"] in message


def test_real_photo(open_page, e2e, realdata: Path):
    """A real photo (VITON-HD person, 768x1024) through the app."""
    people = sorted((realdata / "hd_unpaired" / "image").glob("*.jpg"))
    if not people:
        pytest.skip(f"no photos in {realdata / 'hd_unpaired' / 'image'}")
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("real"))
    e2e.upload_photo(page, people[0])
    _try_on(page, e2e, 0, None)
    d = e2e.image_diff(page, "#before-img", "#after-img")
    assert d["a"] == d["b"] == [768, 1024], d
    assert d["changed"] > 0.02, d
    e2e.shot(page, "18_real_photo_result")


def test_phone(open_page, e2e):
    """390x844 phone screen: everything fits in the width, the flow works with taps."""
    page = open_page(390, 844, mobile=True)
    e2e.shot(page, "20_phone_sign_in")
    first = e2e.new_email("phone")
    e2e.sign_up(page, first)
    # the layout viewport stays at the device width (a mobile browser widens it, zooming
    # out, when anything overflows)
    no_overflow = "() => window.innerWidth === 390 && document.documentElement.scrollWidth <= 390"
    assert page.evaluate(no_overflow), "the page is wider than the phone"
    e2e.shot(page, "21_phone_empty")
    e2e.upload_photo(page, e2e.examples / "astronaut.jpg")
    # the stage fits the screen width
    box = page.locator("#compare").bounding_box()
    assert box["width"] <= 390 and box["x"] >= 0
    e2e.shot(page, "22_phone_photo")
    # the catalog: two columns of cards
    cards = page.locator("#garment-grid .garment[data-garment-id]")
    cards.first.scroll_into_view_if_needed()
    a, b = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert abs(a["y"] - b["y"]) < 2 and b["x"] > a["x"], "two cards side by side"
    e2e.shot(page, "23_phone_catalog")
    cards.nth(0).tap()
    e2e.wait_result(page)
    page.wait_for_timeout(600)  # smooth scrolling
    stage = page.locator("#stage").bounding_box()
    assert 50 <= stage["y"] < 844, f"the stage scrolls into view, below the top bar: {stage}"
    e2e.shot(page, "24_phone_result")
    assert page.evaluate(no_overflow)
    page.click("#account-button")
    page.wait_for_selector("#account-menu:not([hidden])")
    e2e.shot(page, "25_phone_menu")
    # sign out; the next person on this phone sees nothing of the first one
    page.click("#signout-button")
    page.wait_for_selector("#auth-view:not([hidden])")
    assert page.evaluate("localStorage.getItem('fitroom.token')") is None
    e2e.sign_up(page, e2e.new_email("phone2"))
    assert page.is_visible("#stage-empty")
    assert page.locator("#photo-strip .photo-thumb, #history-grid .history-item").count() == 0
    assert page.is_hidden("#history-count")
    page.click("#account-button")
    page.click("#signout-button")
    # the first one signs in again: photo and history are back
    page.wait_for_selector("#auth-view:not([hidden])")
    e2e.sign_in(page, first)
    page.wait_for_selector("#compare[data-state=photo]:not([hidden])")
    assert page.inner_text("#history-count") == "1"
    # delete the photo: confirmation (it names the look that goes with it), then the empty stage
    page.click("#photo-strip .photo-thumb .remove")
    page.wait_for_selector("#confirm-dialog[open]")
    assert "look made from it" in page.inner_text("#confirm-text")
    e2e.shot(page, "26_phone_delete_photo")
    page.click("#confirm-ok")
    page.wait_for_selector("#stage-empty:not([hidden])")
    assert page.locator("#photo-strip .photo-thumb").count() == 0
    assert page.is_hidden("#history-count")


def test_own_garment(open_page, e2e):
    """A shopper adds a product photo of their own, tries it on, and deletes it."""
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("garment"))
    e2e.upload_photo(page, e2e.examples / "astronaut.jpg")
    demo = page.locator("#garment-grid .garment[data-owner=demo]").count()
    page.locator("#add-garment").scroll_into_view_if_needed()
    with page.expect_file_chooser() as chooser:
        page.click("#add-garment")
    chooser.value.set_files(str(e2e.examples / "top_longsleeve_solid.png"))
    page.wait_for_selector("#garment-dialog[open]")
    assert page.input_value("#garment-name") == "Top longsleeve solid"
    page.fill("#garment-name", "My red jumper")
    assert page.input_value("#garment-category") == ""  # detected unless the shopper says
    page.select_option("#garment-category", "long-sleeve top")
    e2e.shot(page, "50_add_garment")
    page.click("#garment-submit")
    page.wait_for_selector("#garment-dialog:not([open])", state="attached", timeout=60_000)
    assert "long-sleeve top" in page.inner_text(".toast.success").lower()
    mine = page.locator("#garment-grid .garment[data-owner=me]")
    mine.first.wait_for()
    assert "My red jumper" in mine.first.inner_text() and "Yours" in mine.first.inner_text()
    assert page.locator("#garment-grid .garment[data-owner=demo]").count() == demo
    e2e.wait_catalog(page)
    e2e.shot(page, "51_own_garment_in_catalog")
    mine.first.click()
    e2e.wait_result(page)
    assert page.inner_text("#caption-title") == "My red jumper"
    e2e.shot(page, "52_own_garment_result")
    page.locator("#garment-grid .garment-card:has(.garment[data-owner=me]) .remove").click()
    page.wait_for_selector("#confirm-dialog[open]")
    page.click("#confirm-ok")
    page.wait_for_function("() => !document.querySelector('#garment-grid .garment[data-owner=me]')")
    # the look made with it stays in the history
    page.click("#tab-history")
    page.locator("#history-grid .history-item[data-status=succeeded]").first.wait_for()


def test_garment_from_a_photo_of_someone_wearing_it(open_page, e2e):
    """A shopper adds what someone wears in a photo: it is laid flat, kept as a garment, tried on."""
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("tryoff"))
    e2e.upload_photo(page, e2e.examples / "astronaut.jpg")
    page.locator("#add-garment").scroll_into_view_if_needed()
    with page.expect_file_chooser() as chooser:
        page.click("#add-garment")
    chooser.value.set_files(str(e2e.examples / "astronaut.jpg"))
    page.wait_for_selector("#garment-dialog[open]")
    assert page.is_visible("#garment-category-field") and page.is_hidden("#garment-kind-hint")
    page.select_option("#garment-kind", "worn")
    assert page.is_hidden("#garment-category-field") and page.is_visible("#garment-kind-hint")
    page.fill("#garment-name", "Her suit")
    e2e.shot(page, "53_garment_from_photo")
    page.click("#garment-submit")
    page.wait_for_selector("#garment-dialog:not([open])", state="attached", timeout=60_000)
    assert "laid flat" in page.inner_text(".toast.success").lower()
    mine = page.locator("#garment-grid .garment[data-owner=me]")
    mine.first.wait_for()
    assert "Her suit" in mine.first.inner_text()
    e2e.wait_catalog(page)
    e2e.shot(page, "54_garment_from_photo_in_catalog")
    mine.first.click()
    e2e.wait_result(page)
    assert page.inner_text("#caption-title") == "Her suit"
    # the photo it came from was not kept: only the shopper's own photo is in the strip
    assert page.locator("#photo-strip .photo-thumb").count() == 1


def test_second_click_while_running(open_page, e2e):
    """Picking another garment while one is still being fitted: the stage follows the last
    pick, the first one lands in the history with a toast to view it."""
    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("quick"))
    e2e.upload_photo(page, e2e.examples / "astronaut.jpg")
    cards = _garment_cards(page)
    first_name = cards.nth(0).locator(".garment-name").inner_text()
    second_name = cards.nth(1).locator(".garment-name").inner_text()
    with _holding(page, "**/v1/tryons", "POST") as held:
        cards.nth(0).click()
        _wait_held(page, held)
        assert held
        cards.nth(1).click()
        for _ in range(60):
            if len(held) == 2:
                break
            page.wait_for_timeout(50)
        assert len(held) == 2
    # both are sent now, the first first
    e2e.wait_result(page)
    assert page.inner_text("#caption-title") == second_name
    page.wait_for_selector(f".toast.success:has-text('{first_name} is ready')", timeout=e2e.tryon_timeout_ms)
    e2e.shot(page, "62_second_pick_wins")
    second = page.get_attribute("#compare", "data-tryon-id")
    page.click(".toast.success .toast-action")
    e2e.wait_result(page, second)
    assert page.inner_text("#caption-title") == first_name
    page.click("#tab-history")
    assert page.locator("#history-grid .history-item[data-status=succeeded]").count() == 2


DROP_JS = """
async ([b64, drop]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], 'me.jpg', { type: 'image/jpeg' }));
  const stage = document.querySelector('#stage');
  stage.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
  if (drop) stage.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
}
"""


def test_drop_and_keyboard(open_page, e2e):
    """A photo dropped on the stage is uploaded; the catalog and the slider work from the keyboard."""
    import base64

    page = open_page(1280, 800)
    e2e.sign_up(page, e2e.new_email("keys"))
    b64 = base64.b64encode((e2e.examples / "astronaut.jpg").read_bytes()).decode()
    page.evaluate(DROP_JS, [b64, False])
    assert page.is_visible("#stage .drop-overlay")
    e2e.shot(page, "60_drop_photo")
    page.evaluate(DROP_JS, [b64, True])
    e2e.upload_photo(page, None)
    assert not page.is_visible("#stage .drop-overlay")
    # keyboard: Tab onto a garment, Enter tries it on, arrows move the slider
    page.focus("#search-input")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.matches('#garment-grid .garment[data-garment-id]')")
    assert focused, "Tab from the search box reaches the first garment"
    e2e.shot(page, "61_keyboard_focus")
    page.keyboard.press("Enter")
    e2e.wait_result(page)
    page.focus("#compare-handle")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#compare-handle", "aria-valuenow") == "48"


def test_errors_are_readable(open_page, e2e, tmp_path: Path):
    """User mistakes show a sentence from the API, never JSON, a status code or a blank."""
    page = open_page(1280, 800)
    email = e2e.new_email("errors")

    # wrong password for an unknown account
    e2e.sign_in(page, email, "not the password")
    text = _readable_alert(page, "#auth-error:not([hidden])")
    assert text
    e2e.shot(page, "30_error_sign_in")

    # a too-short password is caught before it is sent
    page.click("#tab-signup")
    page.fill("#auth-email", email)
    page.fill("#auth-password", "short")
    page.click("#auth-submit")
    assert "8 characters" in page.inner_text("#auth-error")

    e2e.sign_up(page, email)

    # a file that is not an image
    bogus = tmp_path / "holiday.jpg"
    bogus.write_text("these are my holiday notes, not a photo\n" * 20)
    page.set_input_files("#file-input", str(bogus))
    text = _readable_alert(page)
    assert page.locator("#photo-strip .photo-thumb").count() == 0
    assert page.is_visible("#stage-empty"), "the empty stage comes back after the failed upload"
    e2e.shot(page, "31_error_not_an_image")

    # a truncated JPEG
    jpeg = (e2e.examples / "astronaut.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(jpeg[: len(jpeg) // 3])
    page.evaluate("document.querySelectorAll('.toast').forEach(t => t.remove())")
    page.set_input_files("#file-input", str(cut))
    _readable_alert(page)
    assert page.locator("#photo-strip .photo-thumb").count() == 0


def test_camera(browser_with_fake_camera, server, e2e):
    """With a camera (Chromium's fake device), the webcam flow captures a frame and uploads it."""
    ctx = browser_with_fake_camera.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    try:
        ctx.grant_permissions(["camera"], origin=server)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/")
        e2e.sign_up(page, e2e.new_email("camera"))
        page.wait_for_selector("#stage-empty [data-action=camera]:not([hidden])")
        assert page.eval_on_selector_all(".camera-only", "els => els.every(e => !e.hidden)")
        page.click("#stage-empty [data-action=camera]")
        page.wait_for_selector("#camera-dialog[open]")
        page.wait_for_function("() => document.querySelector('#camera-video').videoWidth > 0")
        e2e.shot(page, "40_camera_live")
        page.click("#camera-shoot")
        page.wait_for_selector("#camera-still:not([hidden])")
        e2e.shot(page, "41_camera_captured")
        page.click("#camera-use")
        page.wait_for_selector("#camera-dialog:not([open])", state="attached")
        # Chromium's fake camera shows a test pattern, not a person: either the photo is
        # accepted (analysis happens at try-on time) or a readable error says why not
        page.wait_for_function(
            "() => document.querySelector('#photo-strip .photo-thumb') || document.querySelector('.toast.error')",
            timeout=60_000,
        )
        if page.locator(".toast.error").count():
            _readable_alert(page)
        e2e.shot(page, "42_camera_uploaded")
        assert not errors, errors
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def browser_with_fake_camera(playwright_instance, chromium_path):
    b = playwright_instance.chromium.launch(
        executable_path=str(chromium_path),
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        headless=True,
    )
    yield b
    b.close()
