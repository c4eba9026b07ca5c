from __future__ import annotations

import pytest
from torch import nn

import fitroom.models as fm
from fitroom.errors import FitroomError
from fitroom.models import registry


def test_available_lists_every_architecture():
    assert {"warp-flow", "tryon-unet", "patchgan-ms"} <= set(fm.available())
    assert fm.available() == sorted(fm.available())


def test_build_makes_the_registered_class_with_config_fields():
    m = fm.build("warp-flow", base_channels=4, levels=3)
    assert isinstance(m, fm.WarpFlow)
    assert m.config.base_channels == 4 and m.config.levels == 3
    assert fm.get("tryon-unet") is fm.TryOnUNet


def test_unknown_name_lists_available():
    with pytest.raises(ValueError, match="unknown model architecture 'nope'.*warp-flow") as e:
        fm.build("nope")
    assert isinstance(e.value, FitroomError)


def test_unknown_config_field_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown config field.*colour.*valid fields: .*base_channels"):
        fm.build("tryon-unet", colour=3)


def test_register_refuses_a_second_class_under_a_taken_name():
    with pytest.raises(ValueError, match="already taken"):
        @registry.register("warp-flow")
        class Other(nn.Module):
            pass

    assert fm.get("warp-flow") is fm.WarpFlow
    with pytest.raises(ValueError):
        registry.register("")
