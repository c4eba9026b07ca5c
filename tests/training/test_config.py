"""Experiment configs: YAML loading, type checks, dotted overrides, unknown keys, dump round trip."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from fitroom.errors import FitroomError
from fitroom.training.config import (
    ConfigError,
    ExperimentConfig,
    OptimConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    dump_config,
    load_config,
    override_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "example_toy.yaml"


def test_example_yaml_loads_into_frozen_dataclasses():
    cfg = load_config(ExperimentConfig, EXAMPLE)
    assert cfg.name == "example_toy"
    assert cfg.optim.betas == (0.5, 0.999) and isinstance(cfg.optim.betas, tuple)
    assert cfg.data.size == (16, 16)
    assert cfg.train.ema_modules == ("gen",)
    assert cfg.model.params == {"hidden": 32, "dropout": 0.1}
    with pytest.raises(FrozenInstanceError):
        cfg.train.steps = 3  # type: ignore[misc]


def test_defaults_when_no_file():
    assert load_config(ExperimentConfig) == ExperimentConfig()


def test_dotted_overrides_parse_types():
    cfg = load_config(
        ExperimentConfig,
        EXAMPLE,
        ["optim.lr_g=1e-4", "train.steps=7", "train.amp=true", "optim.betas=[0.0, 0.99]",
         "train.device=cuda:1", "model.params.hidden=64", "train.ema_modules=[gen, disc]"],
    )
    assert cfg.optim.lr_g == pytest.approx(1e-4) and isinstance(cfg.optim.lr_g, float)
    assert cfg.train.steps == 7 and cfg.train.amp is True
    assert cfg.optim.betas == (0.0, 0.99)
    assert cfg.train.device == "cuda:1"
    assert cfg.model.params["hidden"] == 64 and cfg.model.params["dropout"] == 0.1
    assert cfg.train.ema_modules == ("gen", "disc")
    # overrides on an existing config object give a new object
    cfg2 = override_config(cfg, ["train.steps=9"])
    assert cfg2.train.steps == 9 and cfg.train.steps == 7


def test_int_becomes_float_and_string_number_parses():
    cfg = config_from_dict(OptimConfig, {"lr_g": 1, "lr_d": "2e-4"})
    assert cfg.lr_g == 1.0 and isinstance(cfg.lr_g, float)
    assert cfg.lr_d == pytest.approx(2e-4)


def test_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as e:
        load_config(ExperimentConfig, EXAMPLE, ["optim.lrg=1"])
    msg = str(e.value)
    assert "optim.lrg" in msg
    for k in ("lr_g", "lr_d", "betas", "weight_decay", "grad_clip"):
        assert k in msg
    assert "Did you mean 'lr_g'" in msg
    assert isinstance(e.value, FitroomError)
    with pytest.raises(ConfigError, match="Valid keys of '<root>'"):
        config_from_dict(ExperimentConfig, {"trian": {}})


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("train.steps=abc", "train.steps' must be an integer"),
        ("train.steps=1.5", "train.steps' must be an integer"),
        ("train.amp=1", "train.amp' must be true or false"),
        ("optim.betas=[0.5]", "optim.betas' must be a list of 2 values"),
        ("optim.lr_g=fast", "optim.lr_g' must be a number"),
        ("train=3", "section 'train' must be a mapping"),
    ],
)
def test_bad_values_raise_clear_errors(override, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        load_config(ExperimentConfig, EXAMPLE, [override])


def test_bad_override_syntax_and_value_into_scalar():
    with pytest.raises(ConfigError, match="key.sub=value"):
        apply_overrides({}, ["train.steps"])
    with pytest.raises(ConfigError, match="is a value, not a section"):
        apply_overrides({"train": {"steps": 3}}, ["train.steps.x=1"])


def test_missing_file_and_required_field(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(ExperimentConfig, tmp_path / "nope.yaml")

    @dataclass(frozen=True)
    class Needs:
        must: int
        opt: list[int] = field(default_factory=list)

    with pytest.raises(ConfigError, match="'must' is required"):
        config_from_dict(Needs, {})
    assert config_from_dict(Needs, {"must": 1, "opt": [1, 2]}).opt == [1, 2]


def test_optional_literal_path_fields(tmp_path):
    @dataclass(frozen=True)
    class C:
        mode: Literal["a", "b"] = "a"
        where: Path | None = None

    assert config_from_dict(C, {"mode": "b", "where": "x/y"}) == C("b", Path("x/y"))
    assert config_from_dict(C, {"where": None}).where is None
    with pytest.raises(ConfigError, match="one of 'a', 'b'"):
        config_from_dict(C, {"mode": "c"})


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_dump_round_trip(tmp_path, suffix):
    cfg = load_config(ExperimentConfig, EXAMPLE, ["optim.lr_g=3e-4", "train.ema_modules=[gen, disc]"])
    path = dump_config(cfg, tmp_path / f"sub/config{suffix}")
    assert path.is_file()
    assert load_config(ExperimentConfig, path) == cfg
    assert config_to_dict(cfg)["optim"]["betas"] == [0.5, 0.999]
