from __future__ import annotations

import json

import pytest
import torch

import fitroom
import fitroom.models as fm


def _tiny():
    return fm.build("warp-flow", base_channels=4, levels=2, corr_radius=1, input_size=(64, 48))


def test_config_json_records_architecture_size_normalisation_version(tmp_path):
    m = _tiny()
    m.save_pretrained(tmp_path, metadata={"steps": 3})
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["architecture"] == "warp-flow"
    assert cfg["input_size"] == [64, 48]
    assert cfg["normalization"] == "[-1,1]"
    assert cfg["fitroom_version"] == fitroom.__version__
    assert cfg["config"]["base_channels"] == 4 and cfg["config"]["input_size"] == [64, 48]
    assert cfg["parameters"] == m.num_parameters()
    assert cfg["metadata"] == {"steps": 3}
    assert (tmp_path / "model.safetensors").is_file()


def test_round_trip_restores_config_and_weights(tmp_path):
    m = _tiny()
    m.save_pretrained(tmp_path)
    for loaded in (fm.load(tmp_path), fm.WarpFlow.from_pretrained(tmp_path), fm.PretrainedModel.from_pretrained(tmp_path)):
        assert isinstance(loaded, fm.WarpFlow) and not loaded.training
        assert loaded.config == m.config  # tuples restored from JSON lists
        for k, v in m.state_dict().items():
            assert torch.equal(v, loaded.state_dict()[k])


def test_half_precision_storage_loads_back_as_float32(tmp_path):
    m = _tiny()
    m.save_pretrained(tmp_path / "h", dtype=torch.float16)
    m.save_pretrained(tmp_path / "f")
    half = (tmp_path / "h" / "model.safetensors").stat().st_size
    assert half < 0.6 * (tmp_path / "f" / "model.safetensors").stat().st_size
    assert json.loads((tmp_path / "h" / "config.json").read_text())["storage_dtype"] == "float16"
    loaded = fm.load(tmp_path / "h")
    for k, v in m.state_dict().items():
        w = loaded.state_dict()[k]
        assert w.dtype == v.dtype
        assert torch.equal(w, v.half().to(v.dtype))  # exactly the float16 rounding of each weight


def test_missing_folder_and_files(tmp_path):
    with pytest.raises(fm.WeightsNotFoundError, match="does not exist"):
        fm.load(tmp_path / "nowhere")
    _tiny().save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors is missing"):
        fm.load(tmp_path)


def test_wrong_architecture(tmp_path):
    _tiny().save_pretrained(tmp_path)
    with pytest.raises(fm.ArchitectureMismatchError, match="holds a 'warp-flow' model, not 'tryon-unet'"):
        fm.TryOnUNet.from_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["architecture"] = "gone"
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(fm.ArchitectureMismatchError, match="unknown model architecture 'gone'"):
        fm.load(tmp_path)


def test_shape_mismatch_is_reported(tmp_path):
    _tiny().save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["config"]["base_channels"] = 8
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(fm.WeightsMismatchError, match="shape mismatch"):
        fm.load(tmp_path)


def test_unknown_config_field_in_file(tmp_path):
    _tiny().save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["config"]["wings"] = 2
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(fm.ModelLoadError, match="wings"):
        fm.load(tmp_path)


def test_corrupt_files(tmp_path):
    _tiny().save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(fm.ModelLoadError, match="not a readable safetensors file"):
        fm.load(tmp_path)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(fm.ModelLoadError, match="not valid JSON"):
        fm.load(tmp_path)


def test_constructor_takes_a_config_or_fields():
    cfg = fm.WarpFlowConfig(base_channels=4, levels=2)
    assert fm.WarpFlow(cfg).config == cfg
    assert fm.WarpFlow(cfg, corr_radius=1).config.corr_radius == 1
    with pytest.raises(TypeError, match="WarpFlowConfig"):
        fm.WarpFlow(fm.TryOnUNetConfig())
