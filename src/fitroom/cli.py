"""fitroom's command line: ``fitroom <command>``.

Every user mistake (a bad file, a photo without a person, a garment that is not a top)
prints one line to stderr and exits with status 2; no tracebacks.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from fitroom.errors import FitroomError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="fitroom: a virtual fitting room that runs on a CPU, offline.")

EXIT_USER_ERROR = 2


def _no_types_on_flags() -> None:
    """Typer shows a value type beside every option, ``<bool>`` on flags too (``--help <bool>``),
    though a flag takes no value: show none there (nor beside an argument named by its metavar)."""
    from typer import core

    shown = core.TyperOption.display_type_rich
    if getattr(shown, "_fitroom", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    display_type_rich._fitroom = True
    core.TyperOption.display_type_rich = display_type_rich
    # an argument with a metavar is named by it already (not "PHOTO <list[Path]>")
    shown_arg = core.TyperArgument.display_type_rich
    core.TyperArgument.display_type_rich = lambda self, ctx: None if self.metavar else shown_arg(self, ctx)


_no_types_on_flags()


def _limits(max_megabytes: float, max_megapixels: float):
    from fitroom.imaging import ImageLimits

    if max_megabytes <= 0 or max_megapixels <= 0:
        raise FitroomError("--max-megabytes and --max-megapixels must be positive")
    return ImageLimits(max_bytes=int(max_megabytes * 1024 * 1024), max_pixels=int(max_megapixels * 1_000_000))


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def _photos(paths: list[Path], what: str) -> list[Path]:
    """The photo files named by ``paths``: files as given, folders as their JPEG/PNG/WebP files
    (sorted). A missing path or an empty folder is a one-line error naming ``what``."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in PHOTO_SUFFIXES)
            if not found:
                raise FitroomError(f"{what} {p}: no JPEG, PNG or WebP photos in this folder")
            out += found
        elif p.exists():
            out.append(p)
        else:
            raise FitroomError(f"{what} {p}: not found (no such file or folder)")
    return out


def _style(message: str) -> str:
    """One style for every error line: lower case after ``error:`` (an acronym such as JPEG stays)."""
    if len(message) > 1 and message[0].isupper() and not message[1].isupper():
        return message[0].lower() + message[1:]
    return message


@contextmanager
def _naming(what: str, path: Path):
    """Re-raise a :class:`FitroomError` about one input with the argument and file it concerns
    (``person photo.jpg: no person found ...``), keeping its type and code."""
    try:
        yield
    except FitroomError as e:
        if str(e).startswith(f"{what} {path}:"):
            raise
        err = type(e).__new__(type(e))
        err.__dict__.update(e.__dict__)
        err.args = (f"{what} {path}: {_style(str(e))}",)
        raise err from None


@app.command()
def tryon(
    inputs: Annotated[list[Path], typer.Argument(help="PERSON then one or more GARMENT product photos (files or folders). With --person, every argument is a garment.", metavar="PHOTO", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="One person and one garment: the file to write (PNG or JPEG). Several: a folder, one PNG per try-on named PERSON__GARMENT.png.")],
    person_opt: Annotated[Optional[list[Path]], typer.Option("--person", metavar="PATH", help="A person photo or a folder of them; repeat for several.")] = None,
    keypoints: Annotated[Optional[Path], typer.Option("--keypoints", help="OpenPose JSON to use instead of estimating the pose (one person only).")] = None,
    debug_dir: Annotated[Optional[Path], typer.Option("--debug-dir", help="Write one image per stage here (a subfolder per try-on when there are several).")] = None,
    protocol: Annotated[str, typer.Option(help="photo (everyday) or paired (leak-free evaluation).")] = "photo",
    engine: Annotated[str, typer.Option(help="learned (the shipped networks; the default) or classical (landmarks + thin-plate spline).")] = "learned",
    weights: Annotated[Optional[str], typer.Option("--weights", "--checkpoint", envvar="FITROOM_WEIGHTS", help="Learned engine: 'real' (the default: fine-tuned on real photos, CC BY-NC 4.0, non-commercial), 'synthetic' (Apache-2.0, for commercial use) or a folder with warp/ and tryon/ from 'fitroom train'.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="What the garment is, if you know (detected otherwise): 'short-sleeve top', 'long-sleeve top', 'sleeveless top' or 'dress'.")] = None,
    runtime: Annotated[Optional[str], typer.Option("--runtime", envvar="FITROOM_RUNTIME", help="Learned engine: run the networks on 'torch' (the default) or 'onnx' (ONNX Runtime; exported once into the cache, or from 'fitroom export onnx').")] = None,
    max_megabytes: Annotated[float, typer.Option(help="Largest accepted file.")] = 20.0,
    max_megapixels: Annotated[float, typer.Option(help="Largest accepted image.")] = 40.0,
) -> None:
    """Dress each PERSON in each GARMENT and write the results to OUT.

    The models are loaded once; each person and each garment is analysed once. With several try-ons, an input that fails (no person in a photo, a garment that is not a top) is reported on its own line and the others go on; the exit status is then 2.
    """
    from fitroom.data.keypoints import read_openpose_json
    from fitroom.imaging import load_image, save_image
    from fitroom.pipelines import TryOnPipeline
    from fitroom.pipelines.debug import save_debug

    limits = _limits(max_megabytes, max_megapixels)
    if category is not None:
        from fitroom.garment import parse_category

        try:
            parse_category(category)
        except ValueError as e:  # an unknown --category
            raise FitroomError(str(e)) from None
    if person_opt:
        people, garments = _photos(person_opt, "person"), _photos(inputs, "garment")
    else:
        if len(inputs) < 2:
            raise FitroomError("give a PERSON photo and at least one GARMENT photo (or --person PHOTO and the garments)")
        people, garments = _photos(inputs[:1], "person"), _photos(inputs[1:], "garment")
    single = len(people) == 1 and len(garments) == 1
    if keypoints is not None and len(people) > 1:
        raise FitroomError("--keypoints: one OpenPose file is for one person; give a single person photo")
    if not single:
        if out.exists() and not out.is_dir():
            raise FitroomError(f"-o {out}: several try-ons need a folder, and this is a file")
        out.mkdir(parents=True, exist_ok=True)
    pipe = TryOnPipeline(engine, weights=weights, runtime=runtime)
    kp = read_openpose_json(keypoints) if keypoints is not None else None
    failed = 0

    def report(err: FitroomError) -> None:
        nonlocal failed
        if single:
            raise err
        failed += 1
        typer.echo(f"error: {_style(str(err))}", err=True)

    analysed = []
    for g in garments:
        try:
            with _naming("garment", g):
                analysed.append((g, pipe.analyze_garment(load_image(g, limits), category=category)))
        except FitroomError as e:
            report(e)
    for p in people:
        try:
            with _naming("person", p):
                pa = pipe.analyze_person(load_image(p, limits), keypoints=kp)
        except FitroomError as e:
            report(e)
            continue
        for g, ga in analysed:
            try:
                with _naming("try-on", g):
                    result = pipe(pa, ga, protocol=protocol)
            except FitroomError as e:
                report(e)
                continue
            path = out if single else out / f"{p.stem}__{g.stem}.png"
            save_image(path, result.image)
            typer.echo(f"wrote {path} ({result.garment.category}, {result.timings_ms['total']:.0f} ms)")
            if debug_dir is not None:
                d = debug_dir if single else debug_dir / f"{p.stem}__{g.stem}"
                paths = save_debug(result, d)
                typer.echo(f"wrote {len(paths)} debug images to {d}")
    if failed:
        raise typer.Exit(EXIT_USER_ERROR)


@app.command()
def tryoff(
    person: Annotated[Path, typer.Argument(help="A photo of a person wearing a top or a dress.", metavar="PERSON", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="The garment photo to write (PNG or JPEG).")],
    mask: Annotated[Optional[Path], typer.Option("--mask", help="Where to write the garment's mask (default: OUT's name with _mask.png).")] = None,
    size: Annotated[str, typer.Option(help="HEIGHTxWIDTH of the garment photo.")] = "1024x768",
    keypoints: Annotated[Optional[Path], typer.Option("--keypoints", help="OpenPose JSON to use instead of estimating the pose.")] = None,
    max_megabytes: Annotated[float, typer.Option(help="Largest accepted file.")] = 20.0,
    max_megapixels: Annotated[float, typer.Option(help="Largest accepted image.")] = 40.0,
) -> None:
    """Take the top or dress off the PERSON in a photo: a product-style garment photo (flat, front view, on white) and its mask, ready to try on someone else."""
    from fitroom.data.keypoints import read_openpose_json
    from fitroom.data.synth.writer import parse_size
    import numpy as np

    from fitroom.imaging import load_image, save_image
    from fitroom.person.analyze import analyze_person
    from fitroom.pipelines.tryoff import tryoff_analysis

    try:
        hw = parse_size(size)
    except ValueError as e:
        raise FitroomError(f"--size: {e}") from None
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise FitroomError(f"-o {out}: write a .png or .jpg file")
    mask_path = mask if mask is not None else out.with_name(f"{out.stem}_mask.png")
    kp = read_openpose_json(keypoints) if keypoints is not None else None
    with _naming("person", person):
        pa = analyze_person(load_image(person, _limits(max_megabytes, max_megapixels)), keypoints=kp)
        res = tryoff_analysis(pa, hw)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image(out, res.image)
    mask_path.parent.mkdir(parents=True, exist_ok=True)
    save_image(mask_path, res.mask.astype(np.uint8) * 255)
    typer.echo(f"wrote {out} and {mask_path} ({res.garment_category}, {res.completed:.0%} hidden in the photo "
               f"and completed, {res.seconds * 1000:.0f} ms)")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the results.")] = Path("out/demo"),
    engine: Annotated[str, typer.Option(help="learned (default) or classical.")] = "learned",
    person_photo: Annotated[Optional[Path], typer.Option("--person", help="Your own photo instead of the bundled one.")] = None,
    garments: Annotated[Optional[Path], typer.Option("--garments", help="A folder of product photos instead of the bundled garments.")] = None,
) -> None:
    """Try every bundled example garment on the bundled example photo (or yours)."""
    from fitroom.examples import example_garments, example_person
    from fitroom.imaging import load_image, save_image
    from fitroom.pipelines import TryOnPipeline
    from fitroom.pipelines.debug import save_debug, side_by_side

    pipe = TryOnPipeline(engine)
    person = load_image(person_photo if person_photo is not None else example_person())
    pa = pipe.analyze_person(person)
    tiles = [person]
    if garments is not None:
        if not garments.is_dir():
            raise FitroomError(f"--garments {garments} is not a folder")
        paths = sorted(p for p in garments.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
        if not paths:
            raise FitroomError(f"no JPEG, PNG or WebP product photos in {garments}")
    else:
        paths = example_garments()
    for g in paths:
        result = pipe(pa, load_image(g))
        path = out / f"{g.stem}.png"
        save_image(path, result.image)
        save_debug(result, out / "debug" / g.stem)
        tiles.append(result.image)
        typer.echo(f"wrote {path} ({result.garment.category}, {result.timings_ms['total']:.0f} ms)")
    save_image(out / "contact_sheet.png", side_by_side(tiles, height=512))
    typer.echo(f"wrote {out / 'contact_sheet.png'}")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="Dataset folder (VITON-HD, cp-vton, or a folder of them).")],
    out: Annotated[Path, typer.Option("--out", help="Report folder: metrics.json and images/.")],
    analysis: Annotated[str, typer.Option(help="'given': use the dataset's keypoints, parse maps and garment masks for the try-on; 'own': fitroom's.")] = "given",
    limit: Annotated[Optional[int], typer.Option(help="Evaluate at most this many samples.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Also write one image per stage to OUT/debug/<person>/.")] = False,
    split: Annotated[Optional[str], typer.Option(help="Split to read (train/test) when the folder has several.")] = None,
    engine: Annotated[str, typer.Option(help="learned (the shipped networks; the default) or classical (landmarks + thin-plate spline).")] = "learned",
    weights: Annotated[Optional[str], typer.Option("--weights", "--checkpoint", envvar="FITROOM_WEIGHTS", help="Learned engine: 'real' (the default: fine-tuned on real photos, CC BY-NC 4.0, non-commercial), 'synthetic' (Apache-2.0, for commercial use) or a folder with warp/ and tryon/ from 'fitroom train'.")] = None,
    lpips_weights: Annotated[Optional[Path], typer.Option(help="LPIPS weights file (lpips v0.1 + backbone); not downloaded.")] = None,
    inception_weights: Annotated[Optional[Path], typer.Option(help="FID Inception weights (pytorch-fid pt_inception); not downloaded.")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write OUT/report.html with plots and image grids.")] = True,
    grid_rows: Annotated[int, typer.Option(help="Report: grid rows of the first samples per subset (plus its 8 worst).")] = 8,
    every_garment: Annotated[bool, typer.Option("--every-garment", help="Unpaired subsets: every garment on every person.")] = False,
    shift_garments: Annotated[bool, typer.Option("--shift-garments", help="Every person with the next sample's garment, as an everyday try-on (a paired set measured unpaired).")] = False,
    robustness: Annotated[bool, typer.Option("--robustness", help="Also how stable each try-on is under small, meaningless changes of the photo (JPEG 70, +-2 degrees, +-10% light, noise): SSIM between outputs, by skin tone where the data has it.")] = False,
) -> None:
    """Measure try-on quality (SSIM, PSNR), preservation of face/hair/background/lower body, garment masks and
    parse maps against ground truth; writes metrics.json, images/ and an HTML report."""
    from fitroom.eval.evaluate import evaluate as run_eval

    if grid_rows < 0:
        raise FitroomError("--grid-rows must be 0 or more")
    result = run_eval(data, out, analysis=analysis, limit=limit, debug=debug, split=split, engine=engine,
                      weights=weights, lpips_weights=lpips_weights, inception_weights=inception_weights,
                      report=report, grid_rows=grid_rows, every_garment=every_garment,
                      shift_garments=shift_garments, robustness=robustness)
    for name, s in result["subsets"].items():
        parts = [f"{name}: n={s['n']} failed={s['failed']}"]
        for k in ("ssim", "ssim_garment", "ms_ssim", "psnr", "baseline_agnostic_ssim", "garment_mask_iou", "parse_iou_upper_clothes",
                  "parse_iou_face", "kept_body", "skin_delta_e_median", "seam_ratio_median"):
            if isinstance(s.get(k), float):
                parts.append(f"{k}={s[k]:.3f}")
        if isinstance(s.get("preserve_all_changed"), float):
            regions = " ".join(f"{k}={100 * s[f'preserve_{k}_changed']:.2f}%"
                               for k in ("face", "hair", "background", "lower_body")
                               if isinstance(s.get(f"preserve_{k}_changed"), float))
            parts.append(f"preserved_changed={100 * s['preserve_all_changed']:.2f}% ({regions}) "
                         f"preserve_violations={s['preserve_violations']}")
        typer.echo(" ".join(parts))
    typer.echo(f"wrote {out / 'metrics.json'}" + (f" and {out / 'report.html'}" if report else ""))


export_app = typer.Typer(no_args_is_help=True, help="Export the learned networks for other runtimes.")
app.add_typer(export_app, name="export")


@export_app.command("onnx")
def export_onnx_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write warp/model.onnx and tryon/model.onnx to (the weights folder itself, to have them used from there).")],
    weights: Annotated[Optional[str], typer.Option("--weights", envvar="FITROOM_WEIGHTS", help="'real' (default), 'synthetic' or a folder with warp/ and tryon/.")] = None,
) -> None:
    """Export the warp and the generator to ONNX (dynamic batch), checked against PyTorch."""
    from fitroom.deploy import ONNX_TOLERANCE, export_onnx
    from fitroom.models import load
    from fitroom.pipelines.tryon import resolve_weights

    root = resolve_weights(weights)
    res = export_onnx(load(root / "warp").eval(), load(root / "tryon").eval(), out)
    for kind, path in res.paths.items():
        typer.echo(f"wrote {path} (largest difference from PyTorch {res.max_abs_diff[kind]:.1e}, "
                   f"tolerance {ONNX_TOLERANCE:g})")


data_app = typer.Typer(no_args_is_help=True, help="Try-on datasets: synthetic paired data, previews, statistics.")
app.add_typer(data_app, name="data")


@data_app.command("synth")
def data_synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (VITON-HD layout).")],
    count: Annotated[int, typer.Option(help="Number of samples (one in ten goes to test).")] = 1000,
    size: Annotated[str, typer.Option(help="HEIGHTxWIDTH, e.g. 256x192 or 512x384.")] = "256x192",
    seed: Annotated[int, typer.Option(help="Dataset seed: the same seed gives the same bytes.")] = 0,
    workers: Annotated[Optional[int], typer.Option(help="Processes (default: all cores).")] = None,
) -> None:
    """Render procedural people wearing procedural garments, with exact ground truth."""
    from fitroom.data.synth.writer import parse_size, synthesize

    if count < 1:
        raise FitroomError("--count must be at least 1")
    try:
        hw = parse_size(size)
    except ValueError as e:
        raise FitroomError(f"--size: {e}") from None
    s = synthesize(out, count, hw, seed=seed, workers=workers, progress=sys.stderr.isatty())
    typer.echo(f"wrote {s['count']} samples ({s['train']} train, {s['test']} test) to {out} "
               f"in {s['seconds']:.1f} s ({s['samples_per_second']:.1f}/s)")


@data_app.command("real")
def data_real(
    images: Annotated[Path, typer.Option("--images", help="Folder of photos of people (JPEG, PNG or WebP).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (VITON-HD layout); a stopped run resumes.")],
    workers: Annotated[Optional[int], typer.Option(help="Processes (default: all cores).")] = None,
    val_people: Annotated[int, typer.Option(help="At least this many people in the validation (test) split.")] = 150,
    seed: Annotated[int, typer.Option(help="Seed of the split by person.")] = 0,
    labels: Annotated[Optional[list[Path]], typer.Option("--labels", metavar="JSON", help="A JSON file mapping photo file names to a label, kept in meta.jsonl under the file's name (e.g. skin_tone.json); repeat for several. Default: such files beside the images folder.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N photos (by name).")] = None,
) -> None:
    """Build a training set from real photos with fitroom's own analysis (pose, parse, masks)."""
    from fitroom.data.real import build_real_dataset

    if val_people < 0 or (limit is not None and limit < 1) or (workers is not None and workers < 1):
        raise FitroomError("--val-people must be 0 or more, --limit and --workers at least 1")
    try:
        s = build_real_dataset(images, out, workers=workers, val_people=val_people, seed=seed, limit=limit,
                               progress=sys.stderr.isatty(), labels=labels)
    except ValueError as e:
        raise FitroomError(str(e)) from None
    causes = ", ".join(f"{k} {v}" for k, v in sorted(s.failures_by_cause.items())) or "none"
    typer.echo(f"wrote {s.train} train and {s.test} validation samples ({s.people} people) to {out} in "
               f"{s.seconds:.0f} s ({s.photos_per_second:.1f} photos/s; {s.skipped_done} done before); "
               f"{s.failed} refused ({causes}; see {out / 'failures.jsonl'})")


@data_app.command("anonymize")
def data_anonymize(
    images: Annotated[Path, typer.Argument(help="Folder of people's photos (sub-folders too).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the anonymised copy to.")],
    key_file: Annotated[Optional[Path], typer.Option("--key-file", help="A file holding the secret of the name "
                        "hashes (to get the same names on every run; keep it away from the copy). Default: a "
                        "random secret, forgotten after the run.")] = None,
    keep_faceless: Annotated[bool, typer.Option(help="Copy photos where no face is found too (a back view).")] = False,
) -> None:
    """A copy of a folder of photos to hand to someone training models: faces pixelated (found by
    fitroom's own analysis), metadata stripped (pixels only), names replaced by keyed hashes."""
    from fitroom.data.anonymize import anonymize_folder

    key = None
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as e:
            raise FitroomError(f"cannot read --key-file {key_file}: {e.strerror or e}") from None
        if len(key) < 16:
            raise FitroomError("--key-file must hold a secret of at least 16 bytes")
    s = anonymize_folder(images, out, key=key, keep_faceless=keep_faceless)
    typer.echo(f"wrote {s.written} photos with faces hidden and {s.labels} label files to {out} in {s.seconds:.0f} s; "
               f"{len(s.faceless)} without a face ({'copied' if keep_faceless else 'left out'}), "
               f"{len(s.refused)} refused ({', '.join(sorted(set(s.refused.values()))) or 'none'})")


@data_app.command("preview")
def data_preview(
    root: Annotated[Path, typer.Argument(help="A dataset written by 'fitroom data synth'.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Contact sheet to write (PNG).")],
    split: Annotated[str, typer.Option(help="Split to show.")] = "test",
    rows: Annotated[int, typer.Option(help="Rows of pairs.")] = 8,
) -> None:
    """A contact sheet of pairs: person, garment, parse map, agnostic input."""
    from fitroom.data.synth.preview import save_contact_sheet

    if not (root / split).is_dir():
        raise FitroomError(f"{root} has no {split}/ folder; is it a dataset written by 'fitroom data synth'?")
    typer.echo(f"wrote {save_contact_sheet(root, out, split=split, rows=rows)}")


@data_app.command("stats")
def data_stats(
    root: Annotated[Path, typer.Argument(help="A dataset written by 'fitroom data synth'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Counts and distributions: skin tones, body shapes, garment types, poses, patterns."""
    import json

    from fitroom.data.synth.stats import dataset_stats, format_stats

    st = dataset_stats(root)
    typer.echo(json.dumps(st, indent=2) if as_json else format_stats(st))


train_app = typer.Typer(no_args_is_help=True, help="Train fitroom's learned models (warp-flow, tryon-unet, garment-vae, texture-gan).")
app.add_typer(train_app, name="train")

_TRAIN_CTX = {"help_option_names": ["-h", "--help"]}


def _train(kind: str, config: Optional[Path], data: Optional[Path], out: Path, overrides: Optional[list[str]],
           resume: bool, device: Optional[str], threads: Optional[int]) -> None:
    from fitroom.training.tasks import train

    result = train(kind, config, data=data, out=out, overrides=list(overrides or []), resume=resume,
                   device=device, threads=threads, progress=sys.stderr.isatty())
    losses = " ".join(f"{k}={v:.4g}" for k, v in result["train"].items() if k != "it_per_s")
    if result["final"] is None and not result["stopped_early"]:
        return  # another process of a multi-process run: rank 0 reports and saves
    if result["stopped_early"]:
        typer.echo(f"stopped at step {result['step']}; continue with --resume (--out {out})")
    else:
        typer.echo(f"trained {kind} for {result['step']} steps ({losses}); model saved to {result['final']}")


_Config = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML experiment config (configs/<task>.yaml); with --resume defaults to RUN/config.yaml.")]
_Data = Annotated[Optional[Path], typer.Option("--data", help="Dataset folder with paired samples (sets data.root).")]
_Out = Annotated[Path, typer.Option("--out", help="Run folder: config.yaml, scalars.jsonl, checkpoints/, samples/, final/.")]
_Overrides = Annotated[Optional[list[str]], typer.Argument(help="Dotted config overrides, e.g. train.steps=300 optim.lr_g=1e-4.", show_default=False)]
_Resume = Annotated[bool, typer.Option("--resume", help="Continue from RUN's latest checkpoint.")]
_Device = Annotated[Optional[str], typer.Option("--device", help="cpu, cuda, cuda:N or auto (sets train.device).")]
_Threads = Annotated[Optional[int], typer.Option("--threads", help="torch.set_num_threads(N).")]


@train_app.command("warp", context_settings=_TRAIN_CTX)
def train_warp(out: _Out, overrides: _Overrides = None, config: _Config = None, data: _Data = None,
               resume: _Resume = False, device: _Device = None, threads: _Threads = None) -> None:
    """Train the garment warp (warp-flow) on paired samples; saves it to RUN/final/."""
    _train("warp", config, data, out, overrides, resume, device, threads)


@train_app.command("tryon", context_settings=_TRAIN_CTX)
def train_tryon(out: _Out, overrides: _Overrides = None, config: _Config = None, data: _Data = None,
                resume: _Resume = False, device: _Device = None, threads: _Threads = None) -> None:
    """Train the try-on generator (tryon-unet vs patchgan-ms); saves the generator to RUN/final/."""
    _train("tryon", config, data, out, overrides, resume, device, threads)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Overrides FITROOM_DATA_DIR (database, photos, results).")] = None,
    log_level: Annotated[str, typer.Option(help="Server log level: warning, info, debug.")] = "warning",
) -> None:
    """Run the fitting-room web app and HTTP API (settings: FITROOM_* variables, see README)."""
    import uvicorn

    from fitroom.service import create_app, load_settings
    from fitroom.service.services import preflight

    if not 0 < port < 65536:
        raise FitroomError("--port must be between 1 and 65535")
    settings = load_settings(**({"data_dir": data_dir} if data_dir is not None else {}))
    preflight(settings)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    backend = "PostgreSQL" if settings.db_url.startswith("postgresql") else f"SQLite in {settings.data_dir}"
    queue = "Redis workers" if settings.redis_url else f"{settings.workers} in-process workers"
    typer.echo(f"fitroom: starting ({backend}, {queue}); loading models...")
    if settings.engine == "learned":
        from fitroom.pipelines.tryon import resolve_weights
        from fitroom.service.engine import weights_card

        card = weights_card(resolve_weights(settings.weights))
        typer.echo(f"fitroom: learned engine, weights '{settings.weights}'"
                   + (f" ({card.name}; licence {card.licence_note})" if card else " (no model card)"))

    def ready() -> None:
        typer.echo(f"fitroom is ready: open {url}   (API docs: {url}docs; Ctrl+C stops)")

    import socket

    # bind before loading anything: a port in use is one line, and "ready" means reachable
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # connections made from now on wait in the backlog until start-up ends
    except OSError as e:
        sock.close()
        raise FitroomError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    app_ = create_app(settings, on_ready=ready)
    # keep-alive longer than clients' idle timeouts (httpx, browsers: 5 s), so that the server
    # never closes a connection a client is about to reuse
    # X-Forwarded-For names the client only when the peer is a configured proxy (uvicorn's
    # default would trust it from 127.0.0.1: anyone on the host could pose as any address)
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    config = uvicorn.Config(app_, log_level=log_level, access_log=False, timeout_keep_alive=65,
                            timeout_graceful_shutdown=10, proxy_headers=bool(proxies),
                            forwarded_allow_ips=proxies or None)
    uvicorn.Server(config).run(sockets=[sock])


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Try-ons this process runs at once.")] = 1,
) -> None:
    """Run try-on jobs from the Redis queue (needs FITROOM_REDIS_URL; start as many as you like)."""
    from fitroom.service.worker import run_worker

    if threads < 1:
        raise FitroomError("--threads must be at least 1")
    run_worker(threads)


# --- garment design and search (issue 5): commands live in fitroom.cli_garmentgen ---------
from fitroom.cli_garmentgen import register as _register_garmentgen  # noqa: E402

_register_garmentgen(app, data_app, train_app, _TRAIN_CTX, _train)
# --- end garment design and search ----------------------------------------------------------


def main() -> None:
    try:
        app()
    except FitroomError as e:
        typer.echo(f"error: {_style(str(e))}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
