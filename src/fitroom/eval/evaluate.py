"""``fitroom evaluate``: try-on quality, garment masks and parse maps against ground truth.

Protocol (leak-free, as VITON-HD's): for a *paired* sample the person already wears the
garment, so the try-on runs with :attr:`Protocol.PAIRED`: the cloth-agnostic region is
computed from the pose and the parse (the dataset's own with ``analysis="given"``, fitroom's
with ``"own"``) and nothing inside it is used; the result is compared with the photo.
Unpaired samples get an everyday try-on image but no full-reference metric. As a baseline,
paired samples also score the cloth-agnostic input itself (the removed region painted grey).

Every try-on (paired and photo) is also checked for preservation (:mod:`fitroom.eval.preservation`):
the fraction of face, hair, background and lower-body pixels of the input that changed.
Besides ``metrics.json`` and ``images/``, :mod:`fitroom.eval.report` writes ``report.html``.
"""

from __future__ import annotations

import json
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np

from fitroom.data.layouts import read_dataset
from fitroom.errors import FitroomError
from fitroom.eval.metrics import detail_ratio, mask_iou, psnr, ssim, ssim_map
from fitroom.eval.preservation import PRESERVED_REGIONS, flatten, preservation
from fitroom.labels import UPPER_BODY_GARMENT, Cihp
from fitroom.pipelines.tryon import DEFAULT_ENGINE

PRESERVE_KEYS = [f"preserve_{k}_{m}" for k in (*PRESERVED_REGIONS, "all") for m in ("changed", "mad")]

SEAM_MATERIALS = ("background", "skin", "lower")
EVERYDAY_KEYS = ["kept_body", "skin_delta_e", "seam", "seam_band", "seam_ratio"] + [f"seam_ratio_{m}" for m in SEAM_MATERIALS]

#: ``--robustness``: SSIM between the result and the result of a perturbed photo
ROBUSTNESS_KEYS = ["robustness", "robustness_jpeg70", "robustness_rotate+2", "robustness_rotate-2",
                   "robustness_light+10", "robustness_light-10", "robustness_noise3"]


#: everyday protocol: pixels where the new garment's alpha exceeds this are covered by it
PRESERVE_COVERED = 0.02

def everyday_measures(person: np.ndarray, result, parse: np.ndarray) -> dict:
    """:mod:`fitroom.eval.everyday` measures of one everyday try-on ``result`` of ``person``,
    on ``parse`` (the dataset's when given, else fitroom's own)."""
    from fitroom.eval.everyday import KEPT_BODY_IDS, kept_body, seam_step, skin_delta_e
    from fitroom.pipelines.compose import SKIN_IDS, face_colour, skin_like, visible_skin
    from fitroom.pipelines.regions import LOWER_GARMENT

    # what the new garment covers, its anti-aliased rim included (part garment); of the parse's
    # arms and neck, what is coloured like this face's skin (not a sleeve the parse called an arm)
    face = face_colour(person, parse)
    skin = skin_like(person, np.isin(parse, KEPT_BODY_IDS), face)
    row = {"kept_body": kept_body(person, result.image, parse, result.layer.alpha > 0.02, skin=skin)}
    # the garment's own edge (and its anti-aliased rim, part garment) is neither made skin nor a seam
    near = cv2.dilate((result.layer.alpha > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    made = result.regions.skin & ~near & result.changed_region
    row["skin_delta_e"] = skin_delta_e(result.image, made, visible_skin(person, parse, usable=~result.regions.remove))
    # regenerated background, made skin, the lower garment, each against the photo's own
    reg = result.regions
    fill = result.changed_region & ~near
    # the photo's own pixels: unchanged, and away from the new garment's edge
    photo = ~result.changed_region & ~near
    materials = {
        "background": (fill & reg.remove & ~reg.skin & ~reg.lower, photo & (parse == Cihp.BACKGROUND)),
        # skin: what the parse calls skin and is coloured like this face's skin (a dataset's
        # parse sometimes calls a long sleeve an arm)
        "skin": (fill & reg.skin, skin_like(person, photo & np.isin(parse, SKIN_IDS + (Cihp.FACE,)), face)),
        "lower": (fill & reg.lower, photo & np.isin(parse, LOWER_GARMENT)),
    }
    st = seam_step(result.image, fill, list(materials.values()))
    row.update(seam=st["seam"], seam_band=st["band"], seam_ratio=st["ratio"])
    # and per material, to see which boundary a change moved
    for name, pair in materials.items():
        row[f"seam_ratio_{name}"] = seam_step(result.image, fill, [pair])["ratio"]
    return row


def _every_garment(samples: list) -> list:
    """Paired samples as they are; each unpaired subset as every person x every garment in it."""
    from dataclasses import replace

    out, by_subset = [], defaultdict(list)
    for s in samples:
        (out if s.paired else by_subset[s.subset]).append(s)
    for subset, group in by_subset.items():
        people = {s.person_id: s for s in group}
        garments = {s.garment_id: s for s in group}
        for p in sorted(people):
            for g in sorted(garments):
                gs = garments[g]
                out.append(replace(people[p], garment_id=gs.garment_id, garment_path=gs.garment_path,
                                   garment_mask_path=gs.garment_mask_path))
    return out


def _shift_garments(samples: list) -> list:
    """Each sample with the garment of the next sample of its subset, unpaired."""
    from dataclasses import replace

    out, by_subset = [], defaultdict(list)
    for s in samples:
        by_subset[s.subset].append(s)
    for group in by_subset.values():
        for i, s in enumerate(group):
            g = group[(i + 1) % len(group)]
            out.append(replace(s, garment_id=g.garment_id, garment_path=g.garment_path,
                               garment_mask_path=g.garment_mask_path, paired=len(group) == 1 and s.paired,
                               texture_coords_path=None))
    return out


PARSE_CLASSES = {
    "upper_clothes": (Cihp.UPPER_CLOTHES,),
    "upper_body_garment": (Cihp.UPPER_CLOTHES, Cihp.DRESS, Cihp.COAT),
    "dress": (Cihp.DRESS,),
    "face": (Cihp.FACE,),
    "hair": (Cihp.HAIR,),
    "arms": (Cihp.LEFT_ARM, Cihp.RIGHT_ARM),
    "lower_clothes": (Cihp.PANTS, Cihp.SKIRT),
    "legs": (Cihp.LEFT_LEG, Cihp.RIGHT_LEG),
    "person": tuple(c for c in Cihp if c != Cihp.BACKGROUND),
}


def _iou_or_none(pred: np.ndarray, gt: np.ndarray, labels) -> float | None:
    p, g = np.isin(pred, labels), np.isin(gt, labels)
    if not p.any() and not g.any():
        return None
    return mask_iou(p, g)


def _mean(values) -> float | None:
    v = [x for x in values if x is not None and np.isfinite(x)]
    return float(np.mean(v)) if v else None


def _read_meta(root: Path) -> dict[str, dict]:
    """Per-person attributes from ``meta.jsonl`` files under ``root`` (written by
    ``fitroom data synth``: skin tone, body shape, garment category, pose ...), keyed by
    person file stem. Empty when there are none."""
    meta: dict[str, dict] = {}
    for f in sorted(root.rglob("meta.jsonl")) if root.is_dir() else []:
        for line in f.read_text().splitlines():
            if line.strip():
                d = json.loads(line)
                key = str(d.get("person_id") or d.get("id") or "")
                if key:
                    meta[Path(key).stem] = d
    return meta


def _breakdowns(rows: list[dict], meta: dict[str, dict]) -> dict:
    """Mean SSIM/PSNR of paired rows grouped by each categorical attribute in ``meta``
    (and the mean changed fraction of preserved pixels, where the rows have it)."""
    out: dict[str, dict] = {}

    def stats(g: list[dict]) -> dict:
        d = {"n": len(g), "ssim": _mean(x.get("ssim") for x in g), "psnr": _mean(x.get("psnr") for x in g)}
        if any(x.get("preserve_all_changed") is not None for x in g):
            d["preserve_all_changed"] = _mean(x.get("preserve_all_changed") for x in g)
        if any(x.get("robustness") is not None for x in g):
            d["robustness"] = _mean(x.get("robustness") for x in g)
        if any(x.get("kept_body") is not None for x in g):  # everyday try-ons
            d["kept_body"] = _mean(x.get("kept_body") for x in g)
            for k in ("skin_delta_e", "seam_ratio"):
                v = [x[k] for x in g if x.get(k) is not None]
                d[f"{k}_median"] = float(np.median(v)) if v else None
        return d

    paired = [r for r in rows if r.get("ssim") is not None or r.get("kept_body") is not None]
    keys = sorted({k for r in paired for k in meta.get(r["person"], {})} - {"id", "index", "person_id", "garment_id", "split", "seed"})
    for k in keys:
        groups = defaultdict(list)
        for r in paired:
            v = meta.get(r["person"], {}).get(k)
            if isinstance(v, (str, int, bool)):
                groups[str(v)].append(r)
        if 1 < len(groups) <= 24:
            out[k] = {v: stats(g) for v, g in sorted(groups.items())}
    # the garment category the analysis saw, also without meta
    groups = defaultdict(list)
    for r in paired:
        groups[r.get("category", "?")].append(r)
    out.setdefault("detected_category", {v: stats(g) for v, g in sorted(groups.items())})
    return out


def evaluate(data: str | Path, out: str | Path, *, analysis: str = "given", limit: int | None = None,
             debug: bool = False, split: str | None = None, engine: str = DEFAULT_ENGINE,
             weights: str | Path | None = None, lpips_weights: str | Path | None = None,
             inception_weights: str | Path | None = None, report: bool = True, grid_rows: int = 8,
             every_garment: bool = False, shift_garments: bool = False, robustness: bool = False) -> dict:
    """Run the evaluation; writes ``out/metrics.json`` and ``out/images/<person stem>.png``
    (and with ``debug``, one image per stage in ``out/debug/<person stem>/``; with
    ``report``, ``out/report.html`` with plots and image grids of the first ``grid_rows``
    samples of each subset and its 8 worst by SSIM). ``every_garment``: unpaired subsets try
    every garment of the subset on every person (images ``<person>__<garment>.png``);
    ``shift_garments``: every person gets the next sample's garment of its subset, as an
    everyday try-on (a paired set, such as fitroom's synthetic one, measured unpaired).
    ``robustness``: also :func:`fitroom.eval.robustness.robustness` of every sample (JPEG 70,
    +-2 degrees, +-10% light, mild noise; fitroom's own analysis of each perturbed photo).

    Everyday try-ons (unpaired samples) are measured by :mod:`fitroom.eval.everyday`:
    ``kept_body`` (own arm, hand and neck pixels of the parse, eroded 2 px, unchanged where
    the new garment does not cover them), ``skin_delta_e`` (CIEDE2000 of the made skin to the
    person's visible skin), ``seam_ratio`` (luminance step across the boundary of what was
    regenerated, against the same across a band of the photo; ``seam_ratio_background``,
    ``_skin`` and ``_lower`` for each made material alone; subsets also give medians)."""
    from fitroom.eval.report import GridCollector, write_report
    from fitroom.garment import garment_mask
    from fitroom.imaging import save_image
    from fitroom.person.agnostic import agnostic_image
    from fitroom.person.analyze import analyze_person
    from fitroom.pipelines import Protocol, TryOnPipeline
    from fitroom.pipelines.debug import save_debug

    if analysis not in ("given", "own"):
        raise FitroomError(f"--analysis must be 'given' or 'own', not {analysis!r}")
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    samples = read_dataset(data, split=split)
    meta = _read_meta(Path(data))
    if every_garment:
        samples = _every_garment(samples)
    if shift_garments:
        samples = _shift_garments(samples)
    if limit is not None:
        samples = samples[:limit]
    from fitroom.eval.feature_metrics import LPIPS, InceptionFeatures, fid_from_features, kid_from_features, \
        metric_availability, ms_ssim

    pipe = TryOnPipeline(engine, weights=weights)
    available = metric_availability(lpips_weights, inception_weights)
    lpips = LPIPS(lpips_weights) if available["LPIPS"] == "computed" else None
    inception = InceptionFeatures(inception_weights) if available["FID"] == "computed" else None
    real_feats: dict[str, list] = defaultdict(list)
    fake_feats: dict[str, list] = defaultdict(list)
    rows = []
    grids = GridCollector(first=grid_rows, worst=8) if report else None
    for s in samples:
        row: dict = {"subset": s.subset, "person": s.person_id, "garment": s.garment_id, "paired": s.paired}
        t0 = time.perf_counter()
        try:
            person = s.load_person()
            garment = s.load_garment()
            gt_mask = s.load_garment_mask()
            gt_parse = s.load_parse()
            kp = s.load_keypoints()
            # (b) garment mask
            if gt_mask is not None:
                row["garment_mask_iou"] = mask_iou(garment_mask(garment), gt_mask)
            # (c) fitroom's own parse (own pose) vs the annotation
            own = None
            try:
                own = analyze_person(person)
            except FitroomError as e:  # scored on its own; the try-on may still use given annotations
                row["own_analysis_error"] = f"{type(e).__name__}: {e}"
            if gt_parse is not None and own is not None:
                for name, labels in PARSE_CLASSES.items():
                    row[f"parse_iou_{name}"] = _iou_or_none(own.parse, gt_parse, labels)
            # (a) try-on
            if analysis == "given" and kp is not None and gt_parse is not None:
                pa = pipe.analyze_person(person, keypoints=kp, parse=gt_parse)
            elif own is not None:
                pa = own
            else:
                raise FitroomError(row["own_analysis_error"])
            protocol = Protocol.PAIRED if s.paired else Protocol.PHOTO
            # 'given': the dataset's garment mask too, like its pose and parse (fitroom's own
            # mask is scored above as garment_mask_iou, and drives the try-on with 'own')
            given_mask = gt_mask if analysis == "given" and gt_mask is not None and gt_mask.any() else None
            if given_mask is not None and given_mask.shape != garment.shape[:2]:
                given_mask = cv2.resize(given_mask.astype(np.uint8), (garment.shape[1], garment.shape[0]),
                                        interpolation=cv2.INTER_NEAREST).astype(bool)
            result = pipe(pa, pipe.analyze_garment(garment, mask=given_mask), protocol=protocol)
            stem = f"{s.person_id}__{s.garment_id}" if (every_garment or shift_garments) and not s.paired else s.person_id
            save_image(out / "images" / f"{stem}.png", result.image)
            if protocol == Protocol.PHOTO:
                row.update(everyday_measures(person, result, gt_parse if gt_parse is not None else pa.parse))
            # preservation: against the input photo, on the parse map the try-on used; leak-free,
            # outside the removed region; everyday, wherever the new garment does not cover them
            # (a longer top covers the waistband)
            keep_out = result.removed_region if protocol == Protocol.PAIRED else result.layer.alpha > PRESERVE_COVERED
            pres = preservation(person, result.image, pa.parse, result.garment.category, exclude=keep_out)
            row.update(flatten(pres))
            if inception is not None:  # FID/KID compare the sets of results and of real photos
                real_feats[s.subset].append(inception.features([person])[0])
                fake_feats[s.subset].append(inception.features([result.image])[0])
            if debug:
                save_debug(result, out / "debug" / stem)
            row["category"] = str(result.garment.category)
            if s.paired:
                row["ssim"] = ssim(result.image, person)
                row["ms_ssim"] = ms_ssim(result.image, person)
                row["psnr"] = psnr(result.image, person)
                if gt_parse is not None:  # garment detail kept, where the truth wears the garment
                    worn = np.isin(gt_parse, [int(i) for i in UPPER_BODY_GARMENT])
                    row["garment_detail_ratio"] = detail_ratio(result.image, person, worn)
                    if worn.any():  # SSIM where the garment is (the whole image's is mostly kept pixels)
                        row["ssim_garment"] = float(ssim_map(result.image, person)[worn].mean())
                if lpips is not None:
                    row["lpips"] = float(lpips.distance(result.image, person))
                # baseline: the cloth-agnostic input itself (region painted grey)
                grey = agnostic_image(person, result.removed_region)
                row["baseline_agnostic_ssim"] = ssim(grey, person)
                row["baseline_agnostic_psnr"] = psnr(grey, person)
            if robustness:
                from fitroom.eval.robustness import robustness as robustness_of

                ga = pipe.analyze_garment(garment, mask=given_mask)
                row.update(robustness_of(lambda img: pipe(pipe.analyze_person(img), ga, protocol=protocol).image,
                                         person, base=result.image if analysis == "own" else None))
            if grids is not None:
                grids.add(row, person=person, garment=garment, result=result.image,
                          model_input=grey if s.paired else person, truth=person if s.paired else None,
                          parse=pa.parse, category=result.garment.category, exclude=keep_out)
            row["status"] = "ok"
        except FitroomError as e:
            row["status"] = "failed"
            row["cause"] = type(e).__name__
            row["message"] = str(e)
        except Exception as e:  # a bug: record it and go on, the report must say so
            row["status"] = "failed"
            row["cause"] = f"bug:{type(e).__name__}"
            row["message"] = "".join(traceback.format_exception_only(e)).strip()
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)

    subsets: dict[str, dict] = {}
    groups = defaultdict(list)
    for r in rows:
        groups[r["subset"]].append(r)
    groups["all"] = rows
    for name, rs in groups.items():
        summary = {"n": len(rs), "failed": sum(r["status"] != "ok" for r in rs),
                   "n_paired": sum(r["paired"] for r in rs)}
        for key in ["ssim", "ssim_garment", "ms_ssim", "psnr", "lpips", "baseline_agnostic_ssim", "baseline_agnostic_psnr",
                    "garment_detail_ratio", "garment_mask_iou"] + [f"parse_iou_{k}" for k in PARSE_CLASSES] + PRESERVE_KEYS \
                + EVERYDAY_KEYS + ROBUSTNESS_KEYS:
            summary[key] = _mean(r.get(key) for r in rs)
        for key in ("skin_delta_e", "seam_ratio") + tuple(f"seam_ratio_{m}" for m in SEAM_MATERIALS):  # targets are on the median
            v = [r[key] for r in rs if r.get(key) is not None]
            summary[f"{key}_median"] = float(np.median(v)) if v else None
        # a ratio: its geometric mean (one sample at 10x would swamp an arithmetic mean)
        ratios = [r["garment_detail_ratio"] for r in rs if r.get("garment_detail_ratio")]
        summary["garment_detail_ratio"] = float(np.exp(np.mean(np.log(ratios)))) if ratios else None
        # samples whose try-on altered a region it must preserve (more than MAX_CHANGED of it)
        summary["preserve_violations"] = sum(r.get("preserve_ok") is False for r in rs)
        summary["failures_by_cause"] = dict(Counter(r["cause"] for r in rs if r["status"] != "ok"))
        summary["own_analysis_failures"] = dict(Counter(r["own_analysis_error"].split(":")[0] for r in rs
                                                        if r.get("own_analysis_error")))
        summary["breakdowns"] = _breakdowns(rs, meta)
        if available["LPIPS"] != "computed":
            summary["lpips"] = available["LPIPS"]
        real = [f for k, v in real_feats.items() if name in (k, "all") for f in v]
        fake = [f for k, v in fake_feats.items() if name in (k, "all") for f in v]
        if inception is None:
            summary["fid"] = summary["kid"] = available["FID"]
        elif len(real) >= 2:
            summary["fid"] = fid_from_features(np.array(real), np.array(fake))
            summary["kid"] = list(kid_from_features(np.array(real), np.array(fake), subset_size=min(1000, len(real))))
        subsets[name] = summary
    result_json = {"data": str(data), "analysis": analysis, "engine": engine, "weights": None if weights is None else str(weights), "protocol": "paired samples: leak-free agnostic region; unpaired: photo",
              "subsets": subsets, "samples": rows}
    (out / "metrics.json").write_text(json.dumps(result_json, indent=2, default=float))
    if grids is not None:
        write_report(result_json, out, grids)
    return result_json
