"""Architectures by name.

>>> from fitroom.models import build, available
>>> available()  # doctest: +SKIP
['patchgan-ms', 'tryon-unet', 'warp-flow']
>>> warp = build("warp-flow", base_channels=16)  # doctest: +SKIP

An architecture module registers its class with :func:`register`; :func:`build` makes a
fresh (randomly initialised) model from keyword config fields, and
:func:`fitroom.models.load` reads a saved one (see :mod:`fitroom.models.pretrained`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from fitroom.errors import FitroomError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["UnknownModelError", "available", "build", "get", "register"]

_REGISTRY: dict[str, type] = {}
T = TypeVar("T", bound=type)


class UnknownModelError(FitroomError, ValueError):
    """No architecture is registered under the requested name."""

    code = "unknown_model"


def register(name: str) -> Callable[[T], T]:
    """Class decorator: register an ``nn.Module`` subclass under ``name``.

    The class gets ``architecture = name``. Registering a different class under a name that
    is taken raises ``ValueError`` (re-registering the same class, as on a module reload,
    is allowed).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"an architecture name must be a non-empty string, got {name!r}")

    def deco(cls: T) -> T:
        old = _REGISTRY.get(name)
        if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"architecture name {name!r} is already taken by {old.__module__}.{old.__qualname__}")
        cls.architecture = name
        _REGISTRY[name] = cls
        return cls

    return deco


def available() -> list[str]:
    """Sorted names of the registered architectures."""
    return sorted(_REGISTRY)


def get(name: str) -> type:
    """The class registered under ``name``; :class:`UnknownModelError` (a ``ValueError``)
    naming the available architectures otherwise."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        names = ", ".join(available()) or "(none registered)"
        raise UnknownModelError(f"unknown model architecture {name!r}; available: {names}") from None


def build(name: str, **config: object) -> nn.Module:
    """A new, randomly initialised model of architecture ``name``.

    ``config`` are fields of the architecture's config dataclass (e.g. ``base_channels``);
    an unknown field raises ``ValueError`` listing the valid ones.
    """
    return get(name)(**config)
