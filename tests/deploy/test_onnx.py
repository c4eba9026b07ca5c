"""The learned networks on ONNX Runtime: exported, checked against PyTorch, run by the engine."""

import shutil

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from fitroom.deploy import ONNX_TOLERANCE, OnnxTryOn, OnnxWarp, export_onnx, onnx_models
from fitroom.errors import FitroomError
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.models import load
from fitroom.pipelines import Protocol, TryOnPipeline
from fitroom.pipelines.tryon import WEIGHT_SETS, resolve_weights

SHIPPED = resolve_weights(None)


@pytest.fixture(scope="module")
def nets():
    return load(SHIPPED / "warp").eval(), load(SHIPPED / "tryon").eval()


@pytest.fixture(scope="module")
def exported(nets, tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx")
    return export_onnx(*nets, out)


@pytest.mark.parametrize("weight_set", sorted(WEIGHT_SETS))
def test_every_shipped_weight_set_exports_within_the_tolerance(weight_set, tmp_path):
    root = WEIGHT_SETS[weight_set]
    res = export_onnx(load(root / "warp").eval(), load(root / "tryon").eval(), tmp_path)
    assert set(res.max_abs_diff) == {"warp", "tryon"}
    assert all(0 <= d <= ONNX_TOLERANCE for d in res.max_abs_diff.values()), res.max_abs_diff


def test_each_shipped_network_matches_pytorch_within_the_tolerance(nets, exported):
    assert set(exported.paths) == {"warp", "tryon"}
    for kind, diff in exported.max_abs_diff.items():
        assert 0 <= diff <= ONNX_TOLERANCE, kind
    # and on an input of its own, batch 3 (the batch is dynamic)
    warp, gen = nets
    g = torch.Generator().manual_seed(5)
    h, w = gen.input_size
    person = torch.rand(3, warp.config.person_channels, h, w, generator=g) * 2 - 1
    garment = torch.rand(3, 3, h, w, generator=g) * 2 - 1
    mask = (torch.rand(3, 1, h, w, generator=g) > 0.3).float()
    ow, og = OnnxWarp(exported.paths["warp"], warp), OnnxTryOn(exported.paths["tryon"], gen)
    with torch.no_grad():
        ref_w, ref_g = warp(person, garment, mask), gen(person, garment, mask)
    got_w, got_g = ow(person, garment, mask), og(person, garment, mask)
    for name in ("flow", "warped_garment", "warped_mask"):
        assert getattr(got_w, name).shape == getattr(ref_w, name).shape
        assert float((getattr(got_w, name) - getattr(ref_w, name)).abs().max()) <= ONNX_TOLERANCE
    for name in ("composition_mask", "rendered"):
        assert float((getattr(got_g, name) - getattr(ref_g, name)).abs().max()) <= ONNX_TOLERANCE


def test_the_engine_on_onnx_runtime_gives_the_same_try_on(tmp_path, monkeypatch):
    monkeypatch.setenv("FITROOM_CACHE_DIR", str(tmp_path / "cache"))
    person, garment = load_image(example_person()), load_image(example_garments()[0])
    images = {}
    for runtime in ("torch", "onnx"):
        pipe = TryOnPipeline("learned", runtime=runtime)
        pa, ga = pipe.analyze_person(person), pipe.analyze_garment(garment)
        for protocol in (Protocol.PHOTO, Protocol.PAIRED):
            images[runtime, protocol] = pipe(pa, ga, protocol=protocol).image.astype(np.int16)
    for protocol in (Protocol.PHOTO, Protocol.PAIRED):
        d = np.abs(images["torch", protocol] - images["onnx", protocol])
        # a flow that differs by 1e-4 moves a sharp garment edge by a tenth of a pixel at full
        # resolution: a few levels there, nothing elsewhere
        assert d.max() <= 12 and d.mean() < 0.01 and (d.max(axis=2) > 2).mean() < 1e-3, protocol
    # exported once into the cache, under a digest of the weights
    assert len(list((tmp_path / "cache").rglob("model.onnx"))) == 2


def test_onnx_files_beside_the_weights_are_used(nets, exported, tmp_path):
    weights = tmp_path / "w"
    for kind in ("warp", "tryon"):
        shutil.copytree(SHIPPED / kind, weights / kind)
        shutil.copy(exported.paths[kind], weights / kind / "model.onnx")
    w, g = onnx_models(*nets, weights / "warp", weights / "tryon")
    assert w.path == weights / "warp" / "model.onnx" and g.path == weights / "tryon" / "model.onnx"


def test_an_unknown_runtime_is_refused_with_one_line(monkeypatch):
    with pytest.raises(FitroomError, match="unknown runtime 'tensorrt'"):
        TryOnPipeline("learned", runtime="tensorrt")
    monkeypatch.setenv("FITROOM_RUNTIME", "nope")
    with pytest.raises(FitroomError, match="unknown runtime 'nope'"):
        TryOnPipeline("learned")


def test_cli_export_onnx_writes_both_networks(tmp_path):
    from fitroom.cli import app

    res = CliRunner().invoke(app, ["export", "onnx", "--out", str(tmp_path / "x")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "x" / "warp" / "model.onnx").is_file() and (tmp_path / "x" / "tryon" / "model.onnx").is_file()
    assert "largest difference from PyTorch" in res.output
