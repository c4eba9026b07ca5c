"""The HTML report of ``fitroom evaluate``: ``OUT/report.html``, self-contained.

It links only to files next to it: ``images/<person>.png`` (the try-on results),
``plots/*.png`` (bar charts and histograms drawn here with PIL; no matplotlib) and
``grids/*.png`` (image grids: per sample the model's input, the garment, the result, the
ground truth and a preservation map). No scripts, no network.

:class:`GridCollector` gathers grid rows while the evaluation runs (the first ``first``
samples of each subset and its ``worst`` by SSIM, or by changed preserved pixels where a
subset has no SSIM), so no image is read twice; :func:`write_report` writes the rest from
the ``metrics.json`` dictionary.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fitroom.eval.preservation import DEFAULT_TOL, MAX_CHANGED, PRESERVED_REGIONS, preserved_regions

__all__ = ["GridCollector", "bar_chart", "histogram", "write_report"]

TILE_H, TILE_W, LABEL_W = 176, 132, 170
COLUMNS = ("input to the model", "garment", "result", "ground truth", "preservation map")
_BG = (255, 255, 255)
_INK = (34, 34, 34)
_MUTED = (120, 120, 120)
_BAR = (66, 110, 170)
_BAD = (200, 60, 50)


def _font(size: int = 13):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "subset"


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if not math.isfinite(v) else f"{v:.{digits}f}"
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, float) for x in v):
        return f"{v[0]:.4f} ± {v[1]:.4f}"  # KID mean ± std
    if isinstance(v, dict):
        return ", ".join(f"{k}: {n}" for k, n in v.items()) or "none"
    return str(v)


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.2f}%"


def _tile(img: np.ndarray | None, text: str = "none") -> Image.Image:
    """``img`` fitted into a TILE_W x TILE_H tile (aspect kept), or a grey placeholder."""
    tile = Image.new("RGB", (TILE_W, TILE_H), (236, 236, 236))
    if img is None:
        d = ImageDraw.Draw(tile)
        d.text((TILE_W // 2, TILE_H // 2), text, fill=_MUTED, font=_font(12), anchor="mm")
        return tile
    im = Image.fromarray(np.ascontiguousarray(img))
    s = min(TILE_W / im.width, TILE_H / im.height)
    im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.Resampling.LANCZOS)
    tile.paste(im, ((TILE_W - im.width) // 2, (TILE_H - im.height) // 2))
    return tile


def preservation_map(before: np.ndarray, after: np.ndarray, parse: np.ndarray, category=None, *,
                     exclude: np.ndarray | None = None) -> np.ndarray:
    """The result dimmed, the checked regions tinted green, and the pixels of them that
    changed painted red: ``(H, W, 3)`` uint8."""
    regions = preserved_regions(parse, category, exclude=exclude)
    checked = np.zeros(parse.shape, bool)
    for m in regions.values():
        checked |= m
    changed = np.abs(before.astype(np.int16) - after.astype(np.int16)).max(axis=2) > DEFAULT_TOL
    out = (0.35 * after.astype(np.float32) + 0.65 * 255).astype(np.uint8)
    out[checked] = (0.5 * out[checked] + 0.5 * np.array([120, 200, 120])).astype(np.uint8)
    out[checked & changed] = _BAD
    return out


class GridCollector:
    """Grid rows of the first ``first`` samples and the ``worst`` worst of each subset."""

    def __init__(self, first: int = 8, worst: int = 8):
        self.first_n, self.worst_n = max(0, first), max(0, worst)
        self.first: dict[str, list[Image.Image]] = defaultdict(list)
        self.worst: dict[str, list[tuple[float, int, Image.Image]]] = defaultdict(list)
        self.worst_by: dict[str, str] = {}
        #: samples flagged by the preservation check, most changed first (paired subsets)
        self.altered: dict[str, list[tuple[float, int, Image.Image]]] = defaultdict(list)
        self._count = 0

    def add(self, row: dict, *, person, garment, result, model_input, truth, parse, category=None,
            exclude=None) -> None:
        subset = row["subset"]
        key = "ssim" if row.get("ssim") is not None else "preserve_all_changed"
        score = row.get(key)
        keep_first = len(self.first[subset]) < self.first_n
        worst = self.worst[subset]
        # lower is worse: SSIM as is, changed fraction negated
        badness = None if score is None else (score if key == "ssim" else -score)
        keep_worst = badness is not None and self._fits(worst, badness)
        altered = self.altered[subset]
        pres = row.get("preserve_all_changed")
        keep_altered = (key == "ssim" and row.get("preserve_ok") is False and pres is not None
                        and self._fits(altered, -pres))
        if not (keep_first or keep_worst or keep_altered):
            return
        strip = self._strip(row, person, garment, result, model_input, truth, parse, category, exclude)
        if keep_first:
            self.first[subset].append(strip)
        if keep_worst:
            self._push(worst, badness, strip)
            self.worst_by[subset] = key
        if keep_altered:
            self._push(altered, -pres, strip)

    def _fits(self, kept: list, badness: float) -> bool:
        return self.worst_n > 0 and (len(kept) < self.worst_n or badness < max(w[0] for w in kept))

    def _push(self, kept: list, badness: float, strip: Image.Image) -> None:
        self._count += 1
        kept.append((badness, self._count, strip))
        kept.sort(key=lambda w: (w[0], w[1]))
        del kept[self.worst_n:]

    @staticmethod
    def _strip(row, person, garment, result, model_input, truth, parse, category, exclude) -> Image.Image:
        tiles = [_tile(model_input), _tile(garment), _tile(result), _tile(truth, "no ground truth"),
                 _tile(preservation_map(person, result, parse, category, exclude=exclude))]
        strip = Image.new("RGB", (LABEL_W + len(tiles) * (TILE_W + 4), TILE_H + 4), _BG)
        for i, t in enumerate(tiles):
            strip.paste(t, (LABEL_W + i * (TILE_W + 4), 2))
        d = ImageDraw.Draw(strip)
        lines = [(row["person"], _INK), (f"garment {row['garment']}", _MUTED), (str(row.get("category", "")), _MUTED)]
        if row.get("ssim") is not None:
            lines.append((f"SSIM {row['ssim']:.3f}  PSNR {row['psnr']:.1f}", _INK))
        if row.get("kept_body") is not None:
            lines.append((f"kept body {row['kept_body']:.3f}", _INK if row["kept_body"] >= 0.98 else _BAD))
        if row.get("skin_delta_e") is not None:
            lines.append((f"skin dE {row['skin_delta_e']:.1f}", _INK if row["skin_delta_e"] <= 5 else _BAD))
        if row.get("seam_ratio") is not None:
            lines.append((f"seam x{row['seam_ratio']:.2f}", _INK if row["seam_ratio"] <= 1.2 else _BAD))
        ch = row.get("preserve_all_changed")
        if ch is not None:
            lines.append((f"preserved changed {100 * ch:.2f}%", _INK if row.get("preserve_ok") else _BAD))
            regions = [(row.get(f"preserve_{k}_changed"), k) for k in PRESERVED_REGIONS]
            v, k = max(((v, k) for v, k in regions if v is not None), default=(None, None))
            if v is not None and v > MAX_CHANGED:
                lines.append((f"worst: {k.replace('_', ' ')} {100 * v:.2f}%", _BAD))
        font = _font(12)
        for i, (text, colour) in enumerate(lines):
            d.text((6, 8 + 18 * i), text[:26], fill=colour, font=font)
        return strip

    def write(self, out: Path) -> dict[str, dict[str, str]]:
        """Write ``out/grids/<subset>_first.png`` and ``_worst.png``; return their paths
        relative to ``out`` by subset and kind."""
        written: dict[str, dict[str, str]] = defaultdict(dict)
        for kind, strips_by in (("first", self.first),
                                ("worst", {k: [w[2] for w in v] for k, v in self.worst.items()}),
                                ("altered", {k: [w[2] for w in v] for k, v in self.altered.items()})):
            for subset, strips in strips_by.items():
                if not strips:
                    continue
                rel = f"grids/{_slug(subset)}_{kind}.png"
                _stack(strips).save(out / rel)
                written[subset][kind] = rel
        return dict(written)


def _stack(strips: list[Image.Image]) -> Image.Image:
    w = strips[0].width
    head = 26
    img = Image.new("RGB", (w, head + sum(s.height for s in strips)), _BG)
    d = ImageDraw.Draw(img)
    font = _font(13)
    for i, name in enumerate(COLUMNS):
        d.text((LABEL_W + i * (TILE_W + 4) + TILE_W // 2, head // 2), name, fill=_INK, font=font, anchor="mm")
    y = head
    for s in strips:
        img.paste(s, (0, y))
        y += s.height
    return img


# --- plots --------------------------------------------------------------------------------

def bar_chart(path: str | Path, title: str, labels: list[str], values: list[float | None], *,
              notes: list[str] | None = None, vmax: float | None = None, fmt: str = "{:.3f}") -> Path:
    """A horizontal bar chart PNG: one bar per label (``None`` draws no bar), the value
    and an optional note (e.g. ``n=12``) beside it. Returns ``path``."""
    if len(labels) != len(values):
        raise ValueError(f"bar_chart: {len(labels)} labels but {len(values)} values")
    font, tfont = _font(13), _font(15)
    lab_w = max([110] + [int(font.getlength(str(x))) + 16 for x in labels])
    bar_w, row_h, top = 360, 24, 34
    w, h = lab_w + bar_w + 150, top + row_h * max(1, len(labels)) + 12
    img = Image.new("RGB", (w, h), _BG)
    d = ImageDraw.Draw(img)
    d.text((8, 8), title, fill=_INK, font=tfont)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    top_v = vmax if vmax is not None else (max(finite) if finite else 1.0)
    top_v = top_v if top_v > 0 else 1.0
    for i, (lab, v) in enumerate(zip(labels, values)):
        y = top + i * row_h
        d.text((lab_w - 8, y + row_h // 2), str(lab), fill=_INK, font=font, anchor="rm")
        d.line([(lab_w, y), (lab_w, y + row_h)], fill=_MUTED)
        if v is not None and math.isfinite(v):
            bw = int(round(bar_w * max(0.0, min(1.0, v / top_v))))
            d.rectangle([lab_w, y + 4, lab_w + bw, y + row_h - 4], fill=_BAR)
            text = fmt.format(v) + (f"   {notes[i]}" if notes else "")
        else:
            text = "–" + (f"   {notes[i]}" if notes else "")
        d.text((lab_w + 6 + (bw if v is not None and math.isfinite(v) else 0), y + row_h // 2), text,
               fill=_INK, font=font, anchor="lm")
    img.save(path)
    return Path(path)


def histogram(path: str | Path, title: str, values: list[float], *, bins: int = 20,
              lo: float | None = None, hi: float | None = None, xlabel: str = "") -> Path:
    """A histogram PNG of ``values`` in ``bins`` equal bins over ``[lo, hi]`` (default:
    their range), with counts on the y axis. Returns ``path``."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], float)
    if v.size == 0:
        raise ValueError("histogram: no finite values")
    lo = float(v.min()) if lo is None else lo
    hi = float(v.max()) if hi is None else hi
    if hi <= lo:
        lo, hi = lo - 0.005, hi + 0.005
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    font, tfont = _font(12), _font(15)
    left, top, pw, ph = 46, 36, 440, 190
    img = Image.new("RGB", (left + pw + 24, top + ph + 50), _BG)
    d = ImageDraw.Draw(img)
    d.text((8, 8), title, fill=_INK, font=tfont)
    cmax = max(1, int(counts.max()))
    d.line([(left, top), (left, top + ph), (left + pw, top + ph)], fill=_INK)
    for t in sorted({0, cmax // 2, cmax}):
        y = top + ph - ph * t / cmax
        d.line([(left - 4, y), (left, y)], fill=_INK)
        d.text((left - 6, y), str(t), fill=_INK, font=font, anchor="rm")
    bw = pw / bins
    for i, c in enumerate(counts):
        if c:
            x0 = left + i * bw
            d.rectangle([x0 + 1, top + ph - ph * c / cmax, x0 + bw - 1, top + ph - 1], fill=_BAR)
    for i in range(0, bins + 1, max(1, bins // 5)):
        x = left + i * bw
        d.line([(x, top + ph), (x, top + ph + 4)], fill=_INK)
        d.text((x, top + ph + 6), f"{edges[i]:.3f}", fill=_INK, font=font, anchor="mt")
    d.text((left + pw // 2, top + ph + 26), f"{xlabel}  (n={v.size}, mean {v.mean():.3f}, median {np.median(v):.3f})",
           fill=_MUTED, font=font, anchor="mt")
    img.save(path)
    return Path(path)


# --- HTML ---------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:1180px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#666;margin:0 0 12px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left;white-space:nowrap}th{background:#f4f5f7;font-weight:600}
table.text td,table.text th{text-align:left}
td.bad{color:#c03a2b;font-weight:600}td.note{color:#777;font-style:italic}
img{max-width:100%;border:1px solid #eee}.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
details summary{cursor:pointer;color:#345;margin:8px 0}small{color:#777}
"""

_SUMMARY_ROWS = [
    ("n", "samples"), ("n_paired", "paired samples"), ("failed", "failed"),
    ("ssim", "SSIM ↑"), ("ssim_garment", "SSIM on the garment ↑"), ("ms_ssim", "MS-SSIM ↑"), ("psnr", "PSNR (dB) ↑"),
    ("baseline_agnostic_ssim", "baseline SSIM (agnostic input)"), ("baseline_agnostic_psnr", "baseline PSNR"),
    ("lpips", "LPIPS ↓"), ("fid", "FID ↓"), ("kid", "KID ↓"),
    ("garment_detail_ratio", "garment detail kept, geometric mean (1 = as the truth; < 1 blurred)"),
    ("preserve_all_changed", "preserved pixels changed ↓"),
    *[(f"preserve_{k}_changed", f"\u2003{k.replace('_', ' ')} changed") for k in PRESERVED_REGIONS],
    ("preserve_all_mad", "preserved mean abs diff (0-255)"),
    ("preserve_violations", f"samples altering a preserved region (>{100 * MAX_CHANGED:g}%)"),
    ("kept_body", "everyday: own arm, hand, neck pixels kept where not covered ↑ (target ≥ 0.98)"),
    ("skin_delta_e_median", "everyday: made skin vs own skin, median CIEDE2000 ↓ (target ≤ 5)"),
    ("seam_ratio_median", "everyday: seam step / the photo's own, median ↓ (target ≤ 1.2)"),
    ("robustness", "robustness: SSIM(f(T x), T f(x)) over JPEG 70, ±2°, ±10% light, noise ↑"),
    ("garment_mask_iou", "garment mask IoU"), ("parse_iou_upper_clothes", "own parse IoU: upper clothes"),
    ("parse_iou_face", "own parse IoU: face"), ("parse_iou_person", "own parse IoU: person"),
    ("failures_by_cause", "failures by cause"), ("own_analysis_failures", "own-analysis failures"),
]


#: columns a breakdown table shows when its groups carry them: (key, header, digits)
_BREAKDOWN_EXTRA = [("kept_body", "kept body", 3), ("skin_delta_e_median", "made skin ΔE (median)", 2),
                    ("seam_ratio_median", "seam ratio (median)", 2), ("robustness", "robustness", 3)]


def _cell(key: str, v) -> str:
    cls = ""
    if isinstance(v, str) and v.startswith("not computed"):  # the hint how to compute it: in the footnote
        return f'<td class="note" title="{html.escape(v)}">{html.escape(v.split(" (")[0])}</td>'
    if key.startswith("preserve_") and key.endswith("_changed"):
        text = _pct(v)
        if isinstance(v, float) and v > MAX_CHANGED:
            cls = ' class="bad"'
    else:
        text = _fmt(v, 2 if "psnr" in key else 3)
        if key == "preserve_violations" and isinstance(v, int) and v > 0:
            cls = ' class="bad"'
        if key in ("failed",) and isinstance(v, int) and v > 0:
            cls = ' class="bad"'
    return f"<td{cls}>{html.escape(text)}</td>"


def _order(value: str):
    """Breakdown values in numeric order where they are numbers (skin tone 1..10)."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    h = "".join(f"<th>{html.escape(x)}</th>" for x in head)
    return f"<table{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}><tr>{h}</tr>" + "".join("<tr>" + "".join(r) + "</tr>" for r in rows) + "</table>"


def _td(text, cls: str = "") -> str:
    return f'<td{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{html.escape(str(text))}</td>'


def _img(rel: str, alt: str) -> str:
    return f'<img src="{html.escape(quote(rel))}" alt="{html.escape(alt)}">'


def write_report(report: dict, out: str | Path, grids: GridCollector | None = None) -> Path:
    """Write ``out/report.html`` (and its ``plots/`` and ``grids/``) for the evaluation
    dictionary ``report`` (what ``metrics.json`` holds). Returns the HTML path."""
    out = Path(out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    (out / "grids").mkdir(parents=True, exist_ok=True)
    subsets: dict[str, dict] = report["subsets"]
    samples: list[dict] = report["samples"]
    names = list(subsets)
    # with one subset, "all" says the same: show the breakdowns and grids once
    own = [n for n in names if n != "all"]
    detail = ["all"] + own if len(own) > 1 else (["all"] if "all" in names else names)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>fitroom evaluation</title>"
             f"<style>{_CSS}</style></head><body>",
             "<h1>fitroom evaluation</h1>",
             f"<p class='meta'>data <code>{html.escape(str(report.get('data')))}</code> · engine "
             f"<b>{html.escape(str(report.get('engine')))}</b>"
             + (f" (weights <code>{html.escape(str(report['weights']))}</code>)" if report.get("weights") else "")
             + f" · analysis <b>{html.escape(str(report.get('analysis')))}</b> · protocol: "
             f"{html.escape(str(report.get('protocol')))}</p>"]

    # summary
    parts.append("<h2>Summary</h2>")
    rows = [[_td(label)] + [_cell(key, subsets[n].get(key)) for n in names] for key, label in _SUMMARY_ROWS
            if any(key in subsets[n] for n in names)]
    parts.append(_table(["metric"] + names, rows))
    notes = sorted({v.split(" (", 1)[1].rstrip(")") for n in names for v in subsets[n].values()
                    if isinstance(v, str) and v.startswith("not computed") and " (" in v})
    if notes:
        parts.append(f"<p><small>Not computed: no local weight files were given; {html.escape('; '.join(notes))}. "
                     f"fitroom never downloads weights nor approximates these metrics.</small></p>")
    parts.append(f"<p><small>Preservation: fraction of the input's face, hair, background and lower-body pixels "
                 f"(parse map eroded at class boundaries; for a dress only the feet; in the paired protocol the "
                 f"cloth-agnostic region and a blend seam around it excluded) that changed by more than {DEFAULT_TOL}/255 in any channel. "
                 f"Red: above {100 * MAX_CHANGED:g}%. Baseline: the cloth-agnostic input itself (the removed region "
                 f"painted grey) scored against the photo.</small></p>")

    # failures
    failed = [r for r in samples if r.get("status") != "ok"]
    if failed:
        parts.append("<h2>Failures</h2>")
        parts.append(_table(["subset", "person", "garment", "cause", "message"],
                            [[_td(r["subset"]), _td(r["person"]), _td(r["garment"]), _td(r.get("cause")),
                              _td(str(r.get("message", ""))[:200])] for r in failed[:50]], "text"))
        if len(failed) > 50:
            parts.append(f"<p><small>… and {len(failed) - 50} more in metrics.json</small></p>")

    # plots and breakdowns
    parts.append("<h2>Distributions</h2><div class='row'>")
    for n in detail:
        vals = [r["ssim"] for r in samples if r.get("ssim") is not None and (n == "all" or r["subset"] == n)]
        if vals:
            rel = f"plots/ssim_hist_{_slug(n)}.png"
            histogram(out / rel, f"SSIM per sample: {n}", vals, lo=min(min(vals), 0.5), hi=1.0, xlabel="SSIM")
            parts.append(_img(rel, f"SSIM histogram {n}"))
    pres = [(n, subsets[n].get("preserve_all_changed")) for n in detail
            if subsets[n].get("preserve_all_changed") is not None]
    if pres:
        labels, values = [], []
        for n, _ in pres:
            for k in PRESERVED_REGIONS:
                v = subsets[n].get(f"preserve_{k}_changed")
                labels.append(f"{n}: {k.replace('_', ' ')}" if len(pres) > 1 else k.replace("_", " "))
                values.append(None if v is None else 100 * v)
        rel = "plots/preservation.png"
        bar_chart(out / rel, "Preserved pixels changed (%)", labels, values,
                  vmax=max([v for v in values if v is not None] + [2 * 100 * MAX_CHANGED]), fmt="{:.2f}%")
        parts.append(_img(rel, "preservation"))
    parts.append("</div>")

    parts.append("<h2>Breakdowns</h2>")
    any_breakdown = False
    for n in detail:
        for attr, groups in (subsets[n].get("breakdowns") or {}).items():
            if not groups:
                continue
            any_breakdown = True
            parts.append(f"<h3>{html.escape(n)} — by {html.escape(attr.replace('_', ' '))}</h3><div class='row'>")
            has_pres = any("preserve_all_changed" in g for g in groups.values())
            # the everyday measures and robustness, where the rows have them
            extra = [(k, label, digits) for k, label, digits in _BREAKDOWN_EXTRA
                     if any(g.get(k) is not None for g in groups.values())]
            head = ["value", "n", "SSIM", "PSNR"] + (["preserved changed"] if has_pres else []) + [e[1] for e in extra]
            groups = dict(sorted(groups.items(), key=lambda kv: _order(kv[0])))
            trs = []
            for v, g in groups.items():
                tr = [_td(v), _td(g["n"]), _td(_fmt(g.get("ssim"))), _td(_fmt(g.get("psnr"), 2))]
                if has_pres:
                    p = g.get("preserve_all_changed")
                    tr.append(_td(_pct(p), "bad" if p is not None and p > MAX_CHANGED else ""))
                tr += [_td(_fmt(g.get(k), digits)) for k, _, digits in extra]
                trs.append(tr)
            parts.append(_table(head, trs))
            rel = f"plots/ssim_by_{_slug(attr)}_{_slug(n)}.png"
            bar_chart(out / rel, f"SSIM by {attr.replace('_', ' ')}", list(groups),
                      [g.get("ssim") for g in groups.values()], notes=[f"n={g['n']}" for g in groups.values()],
                      vmax=1.0)
            parts.append(_img(rel, f"SSIM by {attr}") + "</div>")
    if not any_breakdown:
        parts.append("<p>No paired results to break down.</p>")

    # grids
    if grids is not None:
        written = grids.write(out)
        if written:
            parts.append("<h2>Image grids</h2><p><small>Per row: the model's input (for paired samples the "
                         "cloth-agnostic image), the garment, the result, the ground truth (the photo, for paired "
                         "samples), and the preservation map (checked regions green, changed checked pixels red)."
                         "</small></p>")
        for n in [x for x in names if x in written]:
            w = written[n]
            if "first" in w:
                parts.append(f"<h3>{html.escape(n)} — first {len(grids.first[n])} samples</h3>"
                             + _img(w["first"], f"{n} first samples"))
            if "worst" in w:
                by = "SSIM" if grids.worst_by.get(n) == "ssim" else "changed preserved pixels"
                parts.append(f"<h3>{html.escape(n)} — worst {len(grids.worst[n])} by {by}</h3>"
                             + _img(w["worst"], f"{n} worst samples"))
            if "altered" in w:
                parts.append(f"<h3>{html.escape(n)} — {len(grids.altered[n])} altering preserved regions most</h3>"
                             + _img(w["altered"], f"{n} samples altering preserved regions"))

    # every sample
    parts.append(f"<h2>All samples</h2><details><summary>{len(samples)} samples, worst SSIM first</summary>")
    order = sorted(samples, key=lambda r: (r.get("ssim") is None, r.get("ssim") or 0.0))
    trs = []
    for r in order:
        img_rel = f"images/{r['person']}.png"
        link = (f'<td><a href="{html.escape(quote(img_rel))}">{html.escape(r["person"])}</a></td>'
                if (out / img_rel).exists() else _td(r["person"]))
        p = r.get("preserve_all_changed")
        trs.append([link, _td(r["subset"]), _td(r["garment"]), _td(r.get("category", "")),
                    _td(r.get("status"), "" if r.get("status") == "ok" else "bad"), _td(_fmt(r.get("ssim"))),
                    _td(_fmt(r.get("psnr"), 2)), _td(_pct(p), "bad" if r.get("preserve_ok") is False else "")])
    parts.append(_table(["person", "subset", "garment", "category", "status", "SSIM", "PSNR", "preserved changed"], trs))
    parts.append("</details><p><small>Numbers: metrics.json next to this page.</small></p></body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
