"""Measure the garment VAE and the texture GAN with weight-free measures (plus FID/KID/LPIPS
when local weight files are given). Writes JSON and the images it talks about.

    .venv/bin/python benchmarks/eval_garmentgen.py --garments data/garments --textures data/textures \
        [--vae DIR] [--gan DIR] [--inception-weights pt_inception.pth] [--lpips-weights alex.pth] \
        [--out benchmarks/results/eval_garmentgen.json] [--images benchmarks/results/garmentgen]

Data: ``fitroom data garments --out data/garments --count 5000 --seed 0`` and
``fitroom data textures --out data/textures --count 6000 --seed 0`` (the training sets; the
VAE is scored on their test splits, never trained on). Defaults: the shipped weights.

VAE
  * reconstruction SSIM (and mask IoU) on the held-out split, garments composited on white;
  * retrieval precision@k (k = 1, 5, 10) of garment type and texture family, and the mean
    CIE76 colour difference (Delta E of the fabrics' base colours) of the 5 nearest,
    leave-one-out over the held-out split, for three embeddings as ``fitroom garments
    similar`` ranks them: VAE only (shape), appearance only (print + colour descriptors of
    fitroom.garment.appearance) and combined (the default); end to end on freshly rendered
    full-size product photos analysed by fitroom.garment; a raw-pixel baseline (32x32 RGB +
    mask, cosine) for context. The block weights are chosen on a subset of the TRAIN split
    (grid search, never on the test split); ``--only retrieval`` runs just this part and
    updates the retrieval entries of an existing ``--out`` JSON;
  * a latent traversal image, prior samples (from the fitted ex-post prior that
    ``fitroom design sample`` uses, and from N(0, I) for comparison; how many fitroom's
    garment analysis accepts, i.e. could be tried on) and an interpolation sheet;
  * clean-up: SSIM to the clean photo of degraded (dim, uneven, tinted, noisy) renders:
    degraded input vs classical clean-up vs classical + VAE low-pass prior.
GAN
  * diversity: mean pairwise MS-SSIM of samples (lower = more diverse), beside the same
    number for held-out real patches;
  * memorisation: RMS distance of each sample to its nearest training patch, minimised over
    all circular shifts, against the same distance of held-out real patches;
  * classifier two-sample test: a small CNN trained to tell real from generated, accuracy on
    held-out halves (50% = indistinguishable to it);
  * family coverage: a CNN trained on real patches classifies the samples by family;
  * tileability: mean absolute step across the wrap-around seam / mean step inside.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]


def _u8(x: torch.Tensor) -> np.ndarray:
    """[B,3,H,W] in [-1,1] -> uint8 [B,H,W,3]."""
    return ((x.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _precision_at_k(vecs: np.ndarray, labels: list[str], ks=(1, 5, 10)) -> dict[str, float]:
    """Leave-one-out precision@k with cosine similarity of L2-normalised rows."""
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -np.inf)
    order = np.argsort(-sim, axis=1, kind="stable")
    lab = np.array(labels)
    return {f"p@{k}": float((lab[order[:, :k]] == lab[:, None]).mean()) for k in ks}


def _colour_delta_e(vecs: np.ndarray, colours: np.ndarray, k: int = 5) -> dict[str, float]:
    """Mean CIE76 Delta E between each item's base colour (RGB 0-255 ``[N, 3]``) and those of
    its ``k`` nearest neighbours (cosine, leave-one-out), beside the mean over all pairs."""
    import cv2

    lab = cv2.cvtColor(np.asarray(colours, np.float32)[None] / 255.0, cv2.COLOR_RGB2Lab)[0].astype(np.float64)
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -np.inf)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    de = np.linalg.norm(lab[order] - lab[:, None], axis=-1)
    allp = np.linalg.norm(lab[:, None] - lab[None], axis=-1)
    n = len(lab)
    return {f"delta_e@{k}": float(de.mean()), "delta_e_all_pairs": float(allp.sum() / (n * (n - 1)))}


def _scores(vecs: np.ndarray, cats, pats, colours) -> dict:
    return {"garment_type": _precision_at_k(vecs, cats), "texture_family": _precision_at_k(vecs, pats),
            "colour": _colour_delta_e(vecs, colours)}


def _set_features(vae, garments: Path, split: str, limit: int = 0, seed: int = 0):
    """VAE means, appearance descriptors, labels and base colours of (a seeded subset of)
    one split of a garment set, read as the VAE was trained (the set's 128x128 frame)."""
    from PIL import Image

    from fitroom.data.garment_set import read_garment_set
    from fitroom.data.garmentgen_dataset import garment_tensor
    from fitroom.garment.appearance import appearance_descriptor

    items = read_garment_set(garments).items(split)
    if limit and limit < len(items):
        pick = np.sort(np.random.default_rng(seed).choice(len(items), limit, replace=False))
        items = [items[i] for i in pick]
    xs, app, t_app = [], [], 0.0
    for it in items:
        rgb = np.asarray(Image.open(it.image).convert("RGB"))
        m = np.asarray(Image.open(it.mask).convert("L"))
        xs.append(garment_tensor(rgb, m))
        t0 = time.perf_counter()
        app.append(np.concatenate(appearance_descriptor(rgb, m)))
        t_app += time.perf_counter() - t0
    x = torch.stack(xs)
    with torch.no_grad():
        mu = torch.cat([vae.encode(x[i:i + 64])[0] for i in range(0, len(x), 64)]).numpy()
    return {"x": x, "mu": mu, "app": np.stack(app), "cats": [it.category for it in items],
            "pats": [it.pattern for it in items], "colours": np.array([it.colour for it in items], np.float64),
            "appearance_ms": 1000 * t_app / len(items)}


def _embeddings(mu: np.ndarray, app: np.ndarray, blocks: dict) -> np.ndarray:
    """The catalog embeddings ``fitroom garments similar`` compares, statistics from the set itself."""
    from fitroom.pipelines.search import appearance_stats, block_vectors

    am, asd = appearance_stats(app)
    stats = {"mean": mu.mean(0), "std": mu.std(0) + 1e-3, "app_mean": am, "app_std": asd}
    return block_vectors(mu, app, stats, blocks)


#: the grids searched on the train split (shape weight fixed at 1: only ratios matter)
_GRID_PRINT = tuple(np.round(np.arange(0, 1.51, 0.125), 3))
_GRID_COLOUR = tuple(np.round(np.arange(0, 1.01, 0.125), 3))
#: how much garment-type precision@5 (on train) the combined embedding may give up to the VAE alone
_TYPE_SLACK = 0.02


def _appearance_score(sc: dict) -> float:
    """texture-family p@5 + colour score, the colour score being ``1 - DeltaE@5 / DeltaE(all
    pairs)`` (0 = the neighbours' colours are random, 1 = identical); each term in [0, 1]."""
    c = sc["colour"]
    return sc["texture_family"]["p@5"] + 1 - c["delta_e@5"] / c["delta_e_all_pairs"]


def select_block_weights(f: dict) -> dict:
    """Choose block weights on train-split features ``f``: the combined embedding (shape = 1)
    maximises :func:`_appearance_score` among the grid points whose garment-type p@5 is
    within ``_TYPE_SLACK`` of the VAE alone (type retrieval is not given up for print and
    colour); the appearance-only embedding (shape = 0, print = 1) maximises it over colour."""
    rows = []
    for wp in _GRID_PRINT:
        for wc in _GRID_COLOUR:
            b = {"shape": 1.0, "print": float(wp), "colour": float(wc)}
            sc = _scores(_embeddings(f["mu"], f["app"], b), f["cats"], f["pats"], f["colours"])
            rows.append({"blocks": b, "score": _appearance_score(sc), "type_p@5": sc["garment_type"]["p@5"],
                         "texture_p@5": sc["texture_family"]["p@5"], "delta_e@5": sc["colour"]["delta_e@5"]})
    vae_type = rows[0]["type_p@5"]  # print = colour = 0: the VAE alone
    ok = [r for r in rows if r["type_p@5"] >= vae_type - _TYPE_SLACK]
    best = max(ok, key=lambda r: r["score"])
    app_rows = []
    for wc in _GRID_COLOUR[1:] + (1.5, 2.0):
        b = {"shape": 0.0, "print": 1.0, "colour": float(wc)}
        sc = _scores(_embeddings(f["mu"], f["app"], b), f["cats"], f["pats"], f["colours"])
        app_rows.append({"blocks": b, "score": _appearance_score(sc)})
    best_app = max(app_rows, key=lambda r: r["score"])
    return {"n_train_items": len(f["cats"]), "split": "train (seeded subset)",
            "rule": f"max texture p@5 + (1 - DeltaE@5 / DeltaE all pairs) subject to type p@5 >= "
                    f"VAE-only type p@5 ({vae_type:.3f}) - {_TYPE_SLACK}",
            "grid_print": [float(g) for g in _GRID_PRINT], "grid_colour": [float(g) for g in _GRID_COLOUR],
            "combined": best, "appearance_only": best_app, "all_combined": rows}


def eval_retrieval(vae, garments: Path, n_e2e: int, seed: int, n_select: int = 500) -> dict:
    """Retrieval of type, texture family and colour for VAE-only, appearance-only and
    combined embeddings: weights chosen on ``n_select`` train items, scored on the test split
    and end to end on fresh renders."""
    from fitroom.pipelines.search import DEFAULT_BLOCK_WEIGHTS

    tr = _set_features(vae, garments, "train", n_select, seed)
    sel = select_block_weights(tr)
    te = _set_features(vae, garments, "test")
    cats, pats = te["cats"], te["pats"]
    variants = {"vae": {"shape": 1.0, "print": 0.0, "colour": 0.0},
                "appearance": sel["appearance_only"]["blocks"],
                "print_only": {"shape": 0.0, "print": 1.0, "colour": 0.0},
                "colour_only": {"shape": 0.0, "print": 0.0, "colour": 1.0},
                "combined_selected_on_train": sel["combined"]["blocks"],
                "combined_default": dict(DEFAULT_BLOCK_WEIGHTS),
                "combined_shape1_print1": {"shape": 1.0, "print": 1.0, "colour": 0.0}}
    split = {"n": len(cats), "appearance_ms_per_garment": te["appearance_ms"], "blocks": variants}
    for name, b in variants.items():
        split[name] = _scores(_embeddings(te["mu"], te["app"], b), cats, pats, te["colours"])
    pix = _pixel_vectors(te["x"])
    split["pixels_baseline"] = _scores(pix, cats, pats, te["colours"])
    split["chance"] = {"garment_type": float(np.mean([np.mean(np.array(cats) == c) for c in cats])),
                       "texture_family": float(np.mean([np.mean(np.array(pats) == c) for c in pats]))}
    return {"retrieval_weight_selection": sel, "retrieval_test_split": split,
            "retrieval_end_to_end": _retrieval_end_to_end(vae, n_e2e, seed, variants)}


def _pixel_vectors(x: torch.Tensor) -> np.ndarray:
    v = F.interpolate(x, size=(32, 32), mode="area").flatten(1).numpy().astype(np.float64)
    v = v - v.mean(0)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


# ----------------------------------------------------------------------------- VAE
def eval_vae(vae, garments: Path, images: Path, n_e2e: int, seed: int) -> dict:
    from fitroom.data.garmentgen_dataset import GarmentSetDataset
    from fitroom.eval.metrics import mask_iou, ssim
    from fitroom.imaging import save_image
    from fitroom.imaging.sheet import grid_image
    from fitroom.training.tasks.vae import on_white

    res: dict = {}
    ds = GarmentSetDataset(garments, "test")
    x = torch.stack([ds[i]["x"] for i in range(len(ds))])
    cats = [it.category for it in ds.items]
    pats = [it.pattern for it in ds.items]
    t0 = time.perf_counter()
    with torch.no_grad():
        mus, recs = [], []
        for i in range(0, len(x), 64):
            out = vae(x[i:i + 64], sample=False)
            mus.append(out.mu)
            recs.append(out.recon)
        mu, rec = torch.cat(mus).numpy(), torch.cat(recs)
    res["encode_decode_ms_per_image"] = 1000 * (time.perf_counter() - t0) / len(x)
    a, b = _u8(on_white(x) * 2 - 1), _u8(on_white(rec) * 2 - 1)
    ss = [ssim(p, q) for p, q in zip(a, b)]
    ious = [mask_iou(m1 > 0, m2 > 0) for m1, m2 in zip(x[:, 3].numpy(), rec[:, 3].numpy())]
    res["recon"] = {"n": len(ss), "ssim_mean": float(np.mean(ss)), "ssim_median": float(np.median(ss)),
                    "mask_iou_mean": float(np.mean(ious)),
                    "ssim_by_pattern": {p: float(np.mean([s for s, q in zip(ss, pats) if q == p])) for p in sorted(set(pats))}}
    save_image(images / "vae_reconstructions.png",
               grid_image(list(a[:12]) + list(b[:12]), cols=12, labels=["input"] * 12 + ["recon"] * 12))

    res.update(eval_retrieval(vae, garments, n_e2e, seed))

    # latent traversal along the most used dimensions
    active = np.argsort(-mu.std(0))[:8]
    base = torch.from_numpy(mu[0:1]).repeat(9, 1)
    steps = np.linspace(-2.5, 2.5, 9)
    tiles = []
    sd = mu.std(0)
    with torch.no_grad():
        for d in active:
            z = base.clone()
            z[:, d] = torch.from_numpy((mu[0, d] + steps * sd[d]).astype(np.float32))
            tiles += list(_u8(on_white(vae.decode(z)) * 2 - 1))
    save_image(images / "vae_traversal.png", grid_image(tiles, cols=9))
    res["traversal"] = {"image": str(images / "vae_traversal.png"), "dims": [int(d) for d in active],
                        "steps_in_std": steps.tolist(), "kl_active_dims": int((mu.std(0) > 0.1).sum())}

    # prior samples: how many can be tried on
    from fitroom.pipelines.design import interpolate_garments, sample_garments
    from fitroom.pipelines.garment_models import decode_to_photos

    g = torch.Generator().manual_seed(seed)
    for name, temp in (("ex_post", 0.8), ("ex_post", 1.0), ("standard_normal", 0.8)):
        eps = torch.randn(64, vae.config.latent_dim, generator=g)
        z = vae.prior_to_latent(eps, temp) if name == "ex_post" else eps * temp
        items = decode_to_photos(vae, z)
        ok = [it for it in items if it["ok"]]
        res[f"prior_samples_{name}_T{temp}"] = {"n": 64, "accepted_by_garment_analysis": len(ok),
                                         "categories": {c: sum(1 for it in ok if it["category"] == c)
                                                        for c in sorted({it["category"] for it in ok})}}
        save_image(images / f"vae_samples_{name}_T{temp}.png",
                   grid_image([it["image"] for it in items[:32]], cols=8, tile=128,
                              labels=[(it["category"] or "rejected") for it in items[:32]]))
    designs, rejected = sample_garments(16, seed=seed, vae=vae)
    save_image(images / "design_sample_sheet.png", grid_image([d.image for d in designs], cols=8, tile=160))
    res["design_sample"] = {"n": len(designs), "rejected_draws": rejected}
    from fitroom.examples import example_garments
    from fitroom.imaging import load_image

    ex = example_garments()
    frames = interpolate_garments(load_image(ex[0]), load_image(ex[1]), steps=8, vae=vae)
    save_image(images / "design_interpolation.png", grid_image([f.image for f in frames], cols=8, tile=160,
                                                               labels=[f.category or "rejected" for f in frames]))
    res["interpolation_accepted"] = sum(f.ok for f in frames)
    return res


def _render_catalog(n: int, seed: int, colours: list | None = None) -> tuple[list[np.ndarray], list[str], list[str]]:
    from fitroom.data.garment_set import GARMENT_TYPES
    from fitroom.data.render_garment import PATTERNS, render_garment

    rng = np.random.default_rng(seed)
    imgs, cats, pats = [], [], []
    for i in range(n):
        c = GARMENT_TYPES[i % len(GARMENT_TYPES)]
        p = PATTERNS[int(rng.integers(len(PATTERNS)))]
        g = render_garment(c, size=(384, 512), seed=10_000_000 + seed * 1000 + i, pattern=p)
        imgs.append(g.image)
        cats.append(str(c))
        pats.append(p)
        if colours is not None:
            colours.append(g.colour)
    return imgs, cats, pats


def _retrieval_end_to_end(vae, n: int, seed: int, variants: dict) -> dict:
    """Fresh full-size renders (not in any split) through the real path: fitroom.garment's
    analysis, framing, VAE means and appearance descriptors, standardised cosine ranking."""
    from fitroom.errors import GarmentError
    from fitroom.pipelines.garment_models import encode_garments, prepare_photo
    from fitroom.pipelines.search import _appearance

    colours: list = []
    imgs, cats, pats = _render_catalog(n, seed, colours)
    prepared, kc, kp, kcol, failed = [], [], [], [], 0
    for im, c, p, col in zip(imgs, cats, pats, colours):
        try:
            prepared.append(prepare_photo(im, vae.config.image_size))
            kc.append(c)
            kp.append(p)
            kcol.append(col)
        except GarmentError:
            failed += 1
    mu = np.stack([c.mu for c in encode_garments(vae, prepared)])
    app = _appearance(prepared)
    analysed = [str(p.analysis.category) for p in prepared]
    res = {"n": len(prepared), "rejected_by_analysis": failed, "render_size": [384, 512]}
    for name, b in variants.items():
        res[name] = _scores(_embeddings(mu, app, b), kc, kp, np.array(kcol, np.float64))
    res["garment_analysis_category_accuracy"] = float(np.mean([a == c for a, c in zip(analysed, kc)]))
    return res


def eval_clean(vae, n: int, seed: int, images: Path) -> dict:
    from fitroom.errors import GarmentError
    from fitroom.eval.metrics import ssim
    from fitroom.imaging import save_image
    from fitroom.imaging.sheet import grid_image
    from fitroom.pipelines.clean import clean_garment

    imgs, cats, _ = _render_catalog(n, seed + 1)
    from fitroom.data.render_garment import render_garment  # noqa: F401  (same renderer)

    rng = np.random.default_rng(seed)
    rows = {"degraded": [], "classical": [], "classical+vae0.5": []}
    failed = 0
    tiles = []
    for i, im in enumerate(imgs):
        h, w = im.shape[:2]
        from fitroom.garment import analyze_garment

        m = analyze_garment(im).mask
        target = np.where(m[..., None], im, 255).astype(np.uint8)  # the clean photo on white
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
        gx, gy = rng.uniform(-0.3, 0.3, 2)
        light = rng.uniform(0.5, 0.8) + gx * xx + gy * yy
        cast = rng.uniform(0.8, 1.0, 3)
        sigma = rng.uniform(8, 25)
        deg = np.clip(im * light[..., None] * cast + rng.normal(0, sigma, im.shape), 0, 255).astype(np.uint8)
        try:
            c0 = clean_garment(deg)
            c1 = clean_garment(deg, vae=vae, vae_weight=0.5)
        except GarmentError:
            failed += 1
            continue
        rows["degraded"].append(ssim(deg, target))
        rows["classical"].append(ssim(c0.image, target))
        rows["classical+vae0.5"].append(ssim(c1.image, target))
        if len(tiles) < 16:
            tiles += [target, deg, c0.image, c1.image]
    save_image(images / "clean_examples.png", grid_image(tiles, cols=8, tile=192,
                                                         labels=["clean", "degraded", "classical", "+vae"] * 4))
    return {"n": len(rows["classical"]), "failed_analysis": failed,
            "ssim_to_clean": {k: float(np.mean(v)) for k, v in rows.items()},
            "degradation": "light 0.5-0.8 with a +-0.3 linear gradient, per-channel cast 0.8-1.0, Gaussian noise sigma 8-25"}


# ----------------------------------------------------------------------------- GAN
class _SmallCNN(nn.Module):
    def __init__(self, n_out: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, n_out))

    def forward(self, x):
        return self.net(x)


def _fit_classifier(x: torch.Tensor, y: torch.Tensor, n_out: int, steps: int, seed: int) -> _SmallCNN:
    torch.manual_seed(seed)
    net = _SmallCNN(n_out)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(x), (64,), generator=g)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def _accuracy(net, x, y) -> float:
    with torch.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def _nn_shift_rmse(queries: torch.Tensor, bank: torch.Tensor, chunk: int = 256, qchunk: int = 10) -> np.ndarray:
    """For each query [3,S,S] in [0,255], the RMS distance to the nearest bank patch under
    all circular shifts: ``|q|^2 + |b|^2 - 2 max_shift corr(q, b)``, the correlation summed
    over channels in the Fourier domain (one inverse FFT per pair)."""
    q, b = queries.float(), bank.float()
    s = q.shape[-2:]
    n = q[0].numel()
    fq = torch.fft.rfft2(q)
    qn = (q.double() ** 2).sum((1, 2, 3))
    best = torch.full((len(q),), float("inf"), dtype=torch.float64)
    for i in range(0, len(b), chunk):
        bb = b[i:i + chunk]
        fb = torch.fft.rfft2(bb).conj()
        bn = (bb.double() ** 2).sum((1, 2, 3))
        for j in range(0, len(q), qchunk):
            prod = (fq[j:j + qchunk, None] * fb[None]).sum(2)  # [qc, chunk, S, S/2+1]
            corr = torch.fft.irfft2(prod, s=s).flatten(2).max(2).values.double()  # [qc, chunk]
            d2 = qn[j:j + qchunk, None] + bn[None] - 2 * corr
            best[j:j + qchunk] = torch.minimum(best[j:j + qchunk], d2.min(1).values)
    return torch.sqrt(best.clamp_min(0) / n).numpy()


def eval_gan(gan, textures: Path, images: Path, seed: int, n: int, inception, lpips) -> dict:
    from fitroom.data.textures import TEXTURE_FAMILIES, read_texture_set
    from fitroom.eval.feature_metrics import ms_ssim
    from fitroom.imaging import save_image
    from fitroom.imaging.sheet import grid_image

    res: dict = {}
    train, train_f = read_texture_set(textures, "train")
    test, test_f = read_texture_set(textures, "test")
    t0 = time.perf_counter()
    fake = _u8(gan.generate(n, seed=seed))
    res["generate_ms_per_patch"] = 1000 * (time.perf_counter() - t0) / n
    fake2 = _u8(gan.generate(len(test), seed=seed + 1))
    save_image(images / "gan_samples.png", grid_image(list(fake[:64]), cols=8))
    save_image(images / "gan_samples_tiled.png", grid_image([np.tile(f, (2, 2, 1)) for f in fake[:16]], cols=8))
    save_image(images / "gan_real_patches.png", grid_image(list(test[:64]), cols=8))

    rng = np.random.default_rng(seed)
    def pairwise(arr, m=300):
        i, j = rng.integers(len(arr), size=(2, m))
        keep = i != j
        return float(np.mean([ms_ssim(arr[a], arr[b]) for a, b in zip(i[keep], j[keep])]))

    res["diversity_mean_pairwise_ms_ssim"] = {"generated": pairwise(fake), "real_test": pairwise(test),
                                              "note": "lower = more diverse; 3 scales at 64x64"}
    # memorisation
    sub = min(50, len(fake), len(test))
    pick = rng.choice(len(train), min(2000, len(train)), replace=False)
    bank = torch.from_numpy(train[pick]).permute(0, 3, 1, 2).float()
    d_fake = _nn_shift_rmse(torch.from_numpy(fake[:sub]).permute(0, 3, 1, 2).float(), bank)
    d_real = _nn_shift_rmse(torch.from_numpy(test[:sub]).permute(0, 3, 1, 2).float(), bank)
    thr = float(np.percentile(d_real, 5))
    # without shifts, against every training patch
    full = torch.from_numpy(train.reshape(len(train), -1)).double()
    def nn_plain(a):
        x = torch.from_numpy(a.reshape(len(a), -1)).double()
        d2 = (x**2).sum(1, keepdim=True) + (full**2).sum(1)[None] - 2 * x @ full.T
        return torch.sqrt(d2.min(1).values.clamp_min(0) / x.shape[1]).numpy()
    p_fake, p_real = nn_plain(fake), nn_plain(test)
    res["memorisation"] = {
        "shift_invariant": {
            "nn_rmse_generated_median": float(np.median(d_fake)), "nn_rmse_generated_min": float(d_fake.min()),
            "nn_rmse_real_test_median": float(np.median(d_real)), "nn_rmse_real_test_min": float(d_real.min()),
            "fraction_generated_closer_than_5th_percentile_of_real": float(np.mean(d_fake < thr)),
            "n": sub, "bank": len(bank)},
        "unshifted_full_bank": {
            "nn_rmse_generated_median": float(np.median(p_fake)), "nn_rmse_generated_min": float(p_fake.min()),
            "nn_rmse_real_test_median": float(np.median(p_real)), "nn_rmse_real_test_min": float(p_real.min()),
            "n_generated": len(fake), "n_real": len(test), "bank": len(train)},
        "units": "RMS over pixels and channels, 0-255 (shift_invariant: min over all circular shifts)"}
    # classifier two-sample test: train on train-real vs generated, test on test-real vs new generated
    def t(a):
        return torch.from_numpy(a).permute(0, 3, 1, 2).float() / 127.5 - 1
    m = min(len(fake), len(train), 2000)
    xtr = torch.cat([t(train[:m]), t(fake[:m])])
    ytr = torch.cat([torch.ones(m), torch.zeros(m)]).long()
    k = min(len(test), len(fake2))
    xte = torch.cat([t(test[:k]), t(fake2[:k])])
    yte = torch.cat([torch.ones(k), torch.zeros(k)]).long()
    c2 = _fit_classifier(xtr, ytr, 2, 600, seed)
    res["c2st"] = {"accuracy": _accuracy(c2, xte, yte), "train_accuracy": _accuracy(c2, xtr, ytr),
                   "n_train": 2 * m, "n_test": 2 * k, "note": "50% = the classifier cannot tell them apart"}
    # family coverage
    fam_idx = {f: i for i, f in enumerate(TEXTURE_FAMILIES)}
    yf = torch.tensor([fam_idx[f] for f in train_f])
    fc = _fit_classifier(t(train), yf, len(TEXTURE_FAMILIES), 800, seed)
    acc_real = _accuracy(fc, t(test), torch.tensor([fam_idx[f] for f in test_f]))
    with torch.no_grad():
        pred = fc(t(fake)).argmax(1).numpy()
    res["family_coverage"] = {"classifier_accuracy_on_real_test": acc_real,
                              "generated_share": {f: float(np.mean(pred == i)) for f, i in fam_idx.items()}}
    # tileability
    f = fake.astype(np.float32)
    inner = np.abs(np.diff(f, axis=2)).mean()
    seam = np.abs(f[:, :, 0] - f[:, :, -1]).mean()
    inner_y = np.abs(np.diff(f, axis=1)).mean()
    seam_y = np.abs(f[:, 0] - f[:, -1]).mean()
    res["tileability_seam_to_inner_step_ratio"] = {"x": float(seam / inner), "y": float(seam_y / inner_y)}
    # standard feature metrics, only from local weights
    if inception is not None:
        from fitroom.eval.feature_metrics import fid_from_features, kid_from_features

        fr = inception.features(list(test))
        fg = inception.features(list(fake[: len(test)]))
        kid, kid_std = kid_from_features(fr, fg, subset_size=min(100, len(test)))
        res["fid"], res["kid"], res["kid_std"] = fid_from_features(fr, fg), kid, kid_std
    else:
        res["fid"] = res["kid"] = "not computed: no weights (--inception-weights)"
    if lpips is not None:
        ii, jj = rng.integers(len(fake), size=(2, 200))
        res["lpips_diversity_generated"] = float(np.mean([lpips.distance(fake[a], fake[b]) for a, b in zip(ii, jj) if a != b]))
    else:
        res["lpips_diversity_generated"] = "not computed: no weights (--lpips-weights)"
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--garments", type=Path, default=ROOT / "data" / "garments")
    ap.add_argument("--textures", type=Path, default=ROOT / "data" / "textures")
    ap.add_argument("--vae", type=Path, default=None, help="saved garment-vae folder (default: shipped)")
    ap.add_argument("--gan", type=Path, default=None, help="saved texture-gan folder (default: shipped)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "eval_garmentgen.json")
    ap.add_argument("--images", type=Path, default=ROOT / "benchmarks" / "results" / "garmentgen")
    ap.add_argument("--inception-weights", type=Path, default=None)
    ap.add_argument("--lpips-weights", type=Path, default=None)
    ap.add_argument("--e2e", type=int, default=200, help="fresh renders for end-to-end retrieval")
    ap.add_argument("--clean", type=int, default=16, help="degraded renders for the clean-up measure")
    ap.add_argument("--samples", type=int, default=500, help="GAN samples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip", choices=["vae", "gan", "clean"], action="append", default=[])
    ap.add_argument("--only", choices=["retrieval"], default=None,
                    help="run only this part; its entries of an existing --out JSON are updated, the rest kept")
    ap.add_argument("--select", type=int, default=500,
                    help="train items the retrieval block weights are chosen on (as many as the test split: catalog size matters)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from fitroom.pipelines.garment_models import load_texture_gan, load_vae

    args.images.mkdir(parents=True, exist_ok=True)
    if args.only == "retrieval":
        report = json.loads(args.out.read_text()) if args.out.is_file() else {}
        t0 = time.perf_counter()
        r = eval_retrieval(load_vae(args.vae), args.garments, args.e2e, args.seed, args.select)
        r["retrieval_command"] = " ".join(sys.argv)
        r["retrieval_seconds"] = time.perf_counter() - t0
        report.setdefault("vae", {}).update(r)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps({k: v for k, v in r.items() if k != "retrieval_weight_selection"}, indent=2))
        print(json.dumps({k: v for k, v in r["retrieval_weight_selection"].items() if k != "all_combined"}, indent=2))
        return 0
    report: dict = {"command": " ".join(sys.argv), "seed": args.seed}
    t0 = time.perf_counter()
    if "vae" not in args.skip or "clean" not in args.skip:
        vae = load_vae(args.vae)
        report["vae_weights"] = str(args.vae or "shipped")
    if "vae" not in args.skip:
        report["vae"] = eval_vae(vae, args.garments, args.images, args.e2e, args.seed)
    if "clean" not in args.skip:
        report["clean"] = eval_clean(vae, args.clean, args.seed, args.images)
    if "gan" not in args.skip:
        gan = load_texture_gan(args.gan)
        report["gan_weights"] = str(args.gan or "shipped")
        inception = lpips = None
        if args.inception_weights is not None:
            from fitroom.eval.feature_metrics import InceptionFeatures

            inception = InceptionFeatures(args.inception_weights)
        if args.lpips_weights is not None:
            from fitroom.eval.feature_metrics import LPIPS

            lpips = LPIPS(args.lpips_weights)
        report["gan"] = eval_gan(gan, args.textures, args.images, args.seed, args.samples, inception, lpips)
    report["seconds"] = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
