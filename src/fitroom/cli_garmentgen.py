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
