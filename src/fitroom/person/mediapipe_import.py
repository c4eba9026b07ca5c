"""Import MediaPipe without what fitroom never uses.

``import mediapipe`` (0.10.21) runs ``mediapipe.python.solutions.__init__``, which imports the
drawing helpers, which import ``matplotlib.pyplot`` (half a second of a CLI's start-up spent
on plotting), and ``mediapipe.tasks.python``, whose audio tasks import ``sounddevice`` (another
fifth of a second). :func:`import_mediapipe` puts deferred stand-ins for those modules in
``sys.modules`` before MediaPipe is imported; a stand-in imports the real module, in full, the
first time one of its attributes is read, so code that does use them
(``mp.solutions.drawing_utils.draw_landmarks``, ``mp.tasks.vision``) still works.
(:class:`importlib.util.LazyLoader` does not do here: the import system reads the module's
``__spec__`` on every later ``import`` of it, which would load it at once.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["import_mediapipe", "DEFERRED"]

#: modules of the MediaPipe wheel imported only when used (name -> path in the package)
DEFERRED = {
    "mediapipe.python.solutions.drawing_utils": "python/solutions/drawing_utils.py",
    "mediapipe.python.solutions.drawing_styles": "python/solutions/drawing_styles.py",
    "mediapipe.tasks.python": "tasks/python/__init__.py",
}


class _Deferred(ModuleType):
    """Stands in for a module until one of its attributes is read, then imports it."""

    def __init__(self, name: str, path: Path):
        super().__init__(name)
        is_pkg = path.name == "__init__.py"
        self.__spec__ = importlib.util.spec_from_file_location(
            name, path, submodule_search_locations=[str(path.parent)] if is_pkg else None)
        self.__file__ = str(path)
        if is_pkg:
            self.__path__ = [str(path.parent)]

    def __getattr__(self, attr: str):
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules and getattr(sys.modules[parent], child, None) is self:
            setattr(sys.modules[parent], child, real)
        return getattr(real, attr)


def import_mediapipe() -> ModuleType:
    """``import mediapipe``, with the modules of :data:`DEFERRED` imported on first use."""
    if "mediapipe" not in sys.modules:
        spec = importlib.util.find_spec("mediapipe")
        if spec is not None and spec.origin:
            root = Path(spec.origin).parent
            for name, rel in DEFERRED.items():
                if name not in sys.modules and (root / rel).is_file():
                    sys.modules[name] = _Deferred(name, root / rel)
            # ``import mediapipe.tasks.python as tasks`` finds its stand-in and so never imports
            # the (empty) ``mediapipe.tasks`` package above it: import that one now
            tasks = root / "tasks" / "__init__.py"
            if "mediapipe.tasks" not in sys.modules and tasks.is_file():
                spec = importlib.util.spec_from_file_location("mediapipe.tasks", tasks,
                                                              submodule_search_locations=[str(tasks.parent)])
                module = importlib.util.module_from_spec(spec)
                sys.modules["mediapipe.tasks"] = module
                spec.loader.exec_module(module)
    import mediapipe

    for name in ("mediapipe.tasks", *DEFERRED):  # bind them where ``import a.b.c`` of a module already there does not
        mod = sys.modules.get(name)
        parent, _, child = name.rpartition(".")
        if mod is not None and parent in sys.modules and not hasattr(sys.modules[parent], child):
            setattr(sys.modules[parent], child, mod)
    return mediapipe
