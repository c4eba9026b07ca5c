"""Commands of garment design and search (the garment VAE and the texture GAN).

Registered on fitroom's one entry point by :func:`register` (``fitroom.cli`` calls it):

* ``fitroom data garments|textures``: the labelled training sets;
* ``fitroom train vae|texture-gan``: training through the shared Trainer;
* ``fitroom garments embed|similar|clean``: catalog search and photo clean-up;
* ``fitroom design sample|interpolate|vary|texture``: new garments and prints.

Kept in its own module so that ``cli.py`` stays small; errors follow its rule: a
:class:`~fitroom.errors.FitroomError` becomes one line on stderr and exit status 2.
"""


import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fitroom.errors import FitroomError

_Weights = Annotated[Optional[Path], typer.Option("--weights", help="A saved model folder (default: the one shipped with fitroom).")]


def register(app: typer.Typer, data_app: typer.Typer, train_app: typer.Typer, train_ctx: dict, train_fn) -> None:
    """Add the garment-generation commands to fitroom's typer apps."""

    # ------------------------------------------------------------------ data
    @data_app.command("garments")
    def data_garments(
        out: Annotated[Path, typer.Option("--out", help="Folder to write (must not hold a dataset).")],
        count: Annotated[int, typer.Option(help="Number of garments (one in ten goes to test).")] = 5000,
        size: Annotated[int, typer.Option(help="Side of the square images.")] = 128,
        seed: Annotated[int, typer.Option(help="Dataset seed: the same seed gives the same bytes.")] = 0,
    ) -> None:
        """Render labelled garment product photos (type + texture family) for the garment VAE."""
        from fitroom.data.garment_set import write_garment_set

        s = write_garment_set(out, count, size=size, seed=seed, progress=sys.stderr.isatty())
        typer.echo(f"wrote {s['count']} garments ({s['train']} train, {s['test']} test) to {out}")

    @data_app.command("textures")
    def data_textures(
        out: Annotated[Path, typer.Option("--out", help="Folder to write (must not hold a dataset).")],
        count: Annotated[int, typer.Option(help="Number of patches (one in ten goes to test).")] = 6000,
        size: Annotated[int, typer.Option(help="Side of the square patches.")] = 64,
        seed: Annotated[int, typer.Option(help="Dataset seed.")] = 0,
    ) -> None:
        """Render tileable procedural fabric patches for the texture GAN."""
        from fitroom.data.textures import write_texture_set

        s = write_texture_set(out, count, size=size, seed=seed)
        typer.echo(f"wrote {s['count']} patches ({s['train']} train, {s['test']} test) to {out}; preview {out / 'preview.png'}")

    # ------------------------------------------------------------------ train
    _Config = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML experiment config; with --resume defaults to RUN/config.yaml.")]
    _Data = Annotated[Optional[Path], typer.Option("--data", help="Dataset folder (sets data.root).")]
    _Out = Annotated[Path, typer.Option("--out", help="Run folder: config.yaml, scalars.jsonl, checkpoints/, samples/, final/.")]
    _Overrides = Annotated[Optional[list[str]], typer.Argument(help="Dotted config overrides, e.g. train.steps=300.", show_default=False)]
    _Resume = Annotated[bool, typer.Option("--resume", help="Continue from RUN's latest checkpoint.")]
    _Device = Annotated[Optional[str], typer.Option("--device", help="cpu, cuda, cuda:N or auto.")]
    _Threads = Annotated[Optional[int], typer.Option("--threads", help="torch.set_num_threads(N).")]

    @train_app.command("vae", context_settings=train_ctx)
    def train_vae(out: _Out, overrides: _Overrides = None, config: _Config = None, data: _Data = None,
                  resume: _Resume = False, device: _Device = None, threads: _Threads = None) -> None:
        """Train the garment VAE (garment-vae) on a garment set; saves it to RUN/final/."""
        train_fn("vae", config, data, out, overrides, resume, device, threads)

    @train_app.command("texture-gan", context_settings=train_ctx)
    def train_texture_gan(out: _Out, overrides: _Overrides = None, config: _Config = None, data: _Data = None,
                          resume: _Resume = False, device: _Device = None, threads: _Threads = None) -> None:
        """Train the texture GAN (texture-gan vs patchgan-ms) on a texture set; saves the EMA generator to RUN/final/."""
        train_fn("texture-gan", config, data, out, overrides, resume, device, threads)

    # ------------------------------------------------------------------ garments
    garments_app = typer.Typer(no_args_is_help=True, help="Garment catalog search and photo clean-up (garment VAE).")
    app.add_typer(garments_app, name="garments")

    @garments_app.command("embed")
    def garments_embed(
        folder: Annotated[Path, typer.Argument(help="Folder of garment product photos (searched recursively).")],
        out: Annotated[Path, typer.Option("-o", "--out", help="Index file to write (.npz).")],
        weights: _Weights = None,
    ) -> None:
        """Embed every garment photo of FOLDER into a search index (garment VAE code + colour and print descriptors)."""
        from fitroom.pipelines.search import embed_catalog

        index = embed_catalog(folder, weights=weights, progress=sys.stderr.isatty())
        path = index.save(out)
        for p, why in index.skipped:
            typer.echo(f"skipped {p}: {why}", err=True)
        typer.echo(f"wrote {path}: {len(index.paths)} garments ({len(index.skipped)} skipped)")

    @garments_app.command("similar")
    def garments_similar(
        garment: Annotated[Path, typer.Argument(help="Product photo of the garment to match.")],
        index: Annotated[Path, typer.Option("--index", help="Index written by 'fitroom garments embed'.")],
        k: Annotated[int, typer.Option("-k", help="Number of neighbours.")] = 8,
        sheet: Annotated[Optional[Path], typer.Option("--sheet", "-o", help="Contact sheet to write (query + neighbours, PNG).")] = None,
        blocks: Annotated[Optional[str], typer.Option(
            "--blocks", help="Embedding block weights, e.g. 'shape=1,print=0.5,colour=0.5' (the default; blocks left out "
                             "weigh 0). shape = garment VAE, print = stripes/checks/dots, colour = Lab histograms.")] = None,
        weights: _Weights = None,
    ) -> None:
        """The K catalog garments most like GARMENT ("more like this"): by shape, print and colour."""
        from fitroom.imaging import load_image, save_image
        from fitroom.pipelines.search import load_index, similar, similar_sheet

        idx = load_index(index)
        query = load_image(garment)
        hits = similar(query, idx, k, weights=weights, blocks=blocks)
        for h in hits:
            typer.echo(f"{h.rank}\t{h.distance:.4f}\t{h.category}\t{h.path}")
        if sheet is not None:
            save_image(sheet, similar_sheet(query, hits))
            typer.echo(f"wrote {sheet}")

    @garments_app.command("clean")
    def garments_clean(
        photo: Annotated[Path, typer.Argument(help="A noisy or poorly lit garment product photo.")],
        out: Annotated[Path, typer.Option("-o", "--out", help="Cleaned photo to write (PNG or JPEG); its mask goes to <stem>_mask.png.")],
        vae_weight: Annotated[float, typer.Option(help="0-1: how much of the low frequencies to take from the garment VAE's reconstruction (0 = classical only).")] = 0.0,
        weights: _Weights = None,
    ) -> None:
        """Even the light, remove the colour cast and noise, and put the garment on white."""
        from fitroom.imaging import load_image
        from fitroom.pipelines.clean import clean_garment
        from fitroom.pipelines.design import save_design
        from fitroom.pipelines.garment_models import load_vae

        if not 0 <= vae_weight <= 1:
            raise FitroomError("--vae-weight must be between 0 and 1.")
        vae = load_vae(weights) if vae_weight > 0 else None
        r = clean_garment(load_image(photo), vae=vae, vae_weight=vae_weight)
        p, m = save_design(out, r.image, r.mask)
        typer.echo(f"wrote {p} and {m} ({r.analysis.category}; noise sigma {r.noise_sigma:.1f})")

    # ------------------------------------------------------------------ design
    design_app = typer.Typer(no_args_is_help=True, help="New garments (garment VAE) and prints (texture GAN).")
    app.add_typer(design_app, name="design")

    def _write_designs(designs, out: Path, prefix: str, sheet_cols: int) -> None:
        from fitroom.imaging import save_image
        from fitroom.imaging.sheet import grid_image
        from fitroom.pipelines.design import save_design

        out.mkdir(parents=True, exist_ok=True)
        for i, d in enumerate(designs):
            p, _ = save_design(out / f"{prefix}_{i:02d}.png", d.image, d.mask)
            note = d.category if d.ok else f"not usable for try-on: {d.error}"
            typer.echo(f"wrote {p} ({note})")
        labels = [d.category or "rejected" for d in designs]
        save_image(out / "sheet.png", grid_image([d.image for d in designs], cols=sheet_cols, tile=192, labels=labels))
        typer.echo(f"wrote {out / 'sheet.png'}")

    @design_app.command("sample")
    def design_sample(
        out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the garments (sample_NN.png + _mask.png, sheet.png).")],
        n: Annotated[int, typer.Option("-n", help="Number of garments.")] = 8,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        temperature: Annotated[float, typer.Option(help="Scale of the prior draws (lower: safer, less varied).")] = 0.8,
        weights: _Weights = None,
    ) -> None:
        """New garments drawn from the VAE's latent space (only ones fitroom can try on)."""
        from fitroom.pipelines.design import sample_garments

        designs, rejected = sample_garments(n, seed=seed, temperature=temperature, weights=weights)
        if not designs:
            raise FitroomError(f"none of the draws made a garment fitroom can try on ({rejected} rejected); "
                               "try a lower --temperature.")
        _write_designs(designs, out, "sample", 8)
        typer.echo(f"{len(designs)} garments, {rejected} draws rejected by the garment analysis")

    @design_app.command("interpolate")
    def design_interpolate(
        a: Annotated[Path, typer.Argument(help="First garment product photo.")],
        b: Annotated[Path, typer.Argument(help="Second garment product photo.")],
        out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the frames (interp_NN.png + _mask.png, sheet.png).")],
        steps: Annotated[int, typer.Option(help="Frames, both ends included.")] = 8,
        weights: _Weights = None,
    ) -> None:
        """Garments on the way from A to B in the VAE's latent space."""
        from fitroom.imaging import load_image
        from fitroom.pipelines.design import interpolate_garments

        designs = interpolate_garments(load_image(a), load_image(b), steps=steps, weights=weights)
        _write_designs(designs, out, "interp", steps)

    @design_app.command("vary")
    def design_vary(
        garment: Annotated[Path, typer.Argument(help="Garment product photo.")],
        out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the variations (vary_NN.png + _mask.png, sheet.png).")],
        n: Annotated[int, typer.Option("-n", help="Number of variations.")] = 8,
        strength: Annotated[float, typer.Option(help="How far from the garment (prior standard deviations).")] = 0.6,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        weights: _Weights = None,
    ) -> None:
        """Variations of GARMENT: nearby points of the VAE's latent space."""
        from fitroom.imaging import load_image
        from fitroom.pipelines.design import vary_garment

        designs = vary_garment(load_image(garment), n, strength=strength, seed=seed, weights=weights)
        _write_designs(designs, out, "vary", 8)

    @design_app.command("texture")
    def design_texture(
        out: Annotated[Path, typer.Option("-o", "--out", help="With --apply-to: the re-textured photo; otherwise the print tile(s) (PNG).")],
        apply_to: Annotated[Optional[Path], typer.Option("--apply-to", help="Garment product photo to re-texture.")] = None,
        texture: Annotated[Optional[Path], typer.Option("--texture", help="Use this tileable image instead of a generated print.")] = None,
        seed: Annotated[int, typer.Option(help="Seed of the generated print.")] = 0,
        n: Annotated[int, typer.Option("-n", help="Without --apply-to: number of prints (a sheet when > 1).")] = 1,
        scale: Annotated[float, typer.Option(help="Print repeat as a fraction of the torso width.")] = 0.25,
        weights: Annotated[Optional[Path], typer.Option("--weights", help="A saved texture-gan folder (default: the shipped one).")] = None,
    ) -> None:
        """Generate tileable prints, or print one on a garment keeping its shading and seams."""
        from fitroom.imaging import load_image, save_image
        from fitroom.imaging.sheet import grid_image
        from fitroom.pipelines.design import generate_textures, retexture, save_design

        if texture is not None:
            tiles = [load_image(texture)]
        else:
            tiles = generate_textures(max(n, 1) if apply_to is None else 1, seed=seed, weights=weights)
        if apply_to is None:
            import numpy as np

            if len(tiles) == 1:
                save_image(out, np.tile(tiles[0], (2, 2, 1)) if texture is None else tiles[0])
                typer.echo(f"wrote {out} (one print, shown as 2x2 repeats)")
            else:
                save_image(out, grid_image(tiles, cols=8))
                typer.echo(f"wrote {out} ({len(tiles)} prints)")
            return
        r = retexture(load_image(apply_to), tiles[0], scale=scale, seed=seed)
        p, m = save_design(out, r.image, r.mask)
        typer.echo(f"wrote {p} and {m} ({r.analysis.category})")
