"""SSIM of the learned networks' own output (no framing crop, no compositing) on paired data.

    .venv/bin/python benchmarks/eval_networks.py --data data/heldout7 [--split test] [--limit 64]
        [--weights src/fitroom/weights/learned] [--warp-weights DIR] [--out benchmarks/results/eval_networks.json]

The warp and the generator run on the dataset's samples exactly as in training
(``TryOnDataset`` at the generator's size, the person representation from the given pose and
parse), and the generator's whole rendered image is compared with the photo. This isolates
the networks from the learned engine's crop and composite (``fitroom evaluate --engine
learned`` measures the whole engine). ``ssim_garment``: SSIM over the truth's garment pixels.

On fitroom's synthetic data (which has ``texture-coords/``) it also reports the warp's
end-point error against the exact flow (``warp_epe_px``, pixels at the network size) and,
as an upper bound for a better warp, the generator's SSIM when it is given the garment
warped by the exact flow (``exact_flow_ssim``, ``exact_flow_ssim_garment``). ``composited_*``:
the same after the engine's blend (the photo's pixels outside the region that changes, the
warped garment's own pixels where the doubled composition mask says so), with the network's
flow and (``exact_flow_composited_*``) the exact one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    from fitroom.data.layouts import read_dataset
    from fitroom.data.torch_dataset import TryOnDataset
    from fitroom.eval.metrics import psnr, ssim, ssim_map
    from fitroom.labels import UPPER_BODY_GARMENT
    from fitroom.models import load
    from fitroom.models.person_repr import person_representation_from_batch
    from fitroom.pipelines.tryon import DEFAULT_WEIGHTS
    from fitroom.training.tasks import _collate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=64)
    ap.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    ap.add_argument("--warp-weights", type=Path, default=None, help="another warp (a saved model folder)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "eval_networks.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    warp, gen = load(args.warp_weights or args.weights / "warp").eval(), load(args.weights / "tryon").eval()
    samples = read_dataset(args.data, split=args.split or None)[: args.limit]
    if not samples:
        ap.error(f"{args.data} (split {args.split!r}) holds no samples")
    ds = TryOnDataset(samples, tuple(gen.input_size), augment=False)
    to_u8 = lambda t: ((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)  # noqa: E731
    from fitroom.models.warp_flow import warp as apply_flow
    from fitroom.training.tasks.warp import _epe

    from fitroom.models.person_repr import UPPER_CHANGING
    from fitroom.pipelines.learned import GARMENT_TRUST

    def composited(rep, wg, wm, b, gt) -> list[tuple[float, float]]:
        """(SSIM, SSIM on the garment) of the engine's blend at network size: the photo's
        pixels outside the changing region and the warped mask, inside it the warped garment
        over the rendering by the composition mask x GARMENT_TRUST."""
        t = gen(rep, wg, wm)
        comp = (t.composition_mask * GARMENT_TRUST).clamp(0, 1) * wm
        blend = comp * wg + (1 - comp) * t.rendered
        parse = b["parse"].numpy()
        region = torch.from_numpy(np.isin(parse, [int(c) for c in UPPER_CHANGING]))[:, None] | (wm > 0.5)
        img = to_u8(torch.where(region, blend, b["person"]))
        worn = np.isin(parse, [int(c) for c in UPPER_BODY_GARMENT])
        return [(ssim(o, g), float(ssim_map(o, g)[m].mean()) if m.any() else float("nan")) for o, g, m in zip(img, gt, worn)]

    ssims, psnrs, garm, epes, ex_ssims, ex_garm, comp_ssims, ex_comp = [], [], [], [], [], [], [], []
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(ds), 16):
            b = _collate([ds[j] for j in range(i, min(i + 16, len(ds)))])
            rep = person_representation_from_batch(b)
            w = warp(rep, b["garment"], b["garment_mask"])
            out, gt = to_u8(gen(rep, w.warped_garment, w.warped_mask).image), to_u8(b["person"])
            worn = np.isin(b["parse"].numpy(), [int(c) for c in UPPER_BODY_GARMENT])
            ssims += [ssim(o, g) for o, g in zip(out, gt)]
            psnrs += [psnr(o, g) for o, g in zip(out, gt)]
            garm += [float(ssim_map(o, g)[m].mean()) for o, g, m in zip(out, gt, worn) if m.any()]
            comp_ssims.append(composited(rep, w.warped_garment, w.warped_mask, b, gt))
            if "garment_flow" in b:  # synthetic data: the warp's error, and the generator given the exact warp
                epes.append(float(_epe(w.flow, b)) * len(out))
                valid = b["garment_flow_valid"]
                flow = valid * b["garment_flow"] + (1 - valid) * w.flow
                wg, wm = apply_flow(b["garment"], flow), apply_flow(b["garment_mask"], flow, padding_mode="zeros")
                ex = to_u8(gen(rep, wg, wm).image)
                ex_ssims += [ssim(o, g) for o, g in zip(ex, gt)]
                ex_garm += [float(ssim_map(o, g)[m].mean()) for o, g, m in zip(ex, gt, worn) if m.any()]
                ex_comp.append(composited(rep, wg, wm, b, gt))
    result = {"data": args.data.name, "split": args.split, "n": len(ssims), "weights": str(args.weights),
              "warp_weights": str(args.warp_weights or args.weights / "warp"),
              "size": list(gen.input_size), "ssim": float(np.mean(ssims)), "psnr": float(np.mean(psnrs)),
              "ssim_garment": float(np.mean(garm))}
    cs = np.array([v for c in comp_ssims for v in c])
    result.update(composited_ssim=float(cs[:, 0].mean()), composited_ssim_garment=float(np.nanmean(cs[:, 1])))
    if epes:
        ec = np.array([v for c in ex_comp for v in c])
        result.update(warp_epe_px=float(np.sum(epes) / len(ssims)), exact_flow_ssim=float(np.mean(ex_ssims)),
                      exact_flow_ssim_garment=float(np.mean(ex_garm)), exact_flow_composited_ssim=float(ec[:, 0].mean()),
                      exact_flow_composited_ssim_garment=float(np.nanmean(ec[:, 1])))
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
