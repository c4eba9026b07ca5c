"""MediaPipe is imported without its plotting and Tasks modules, which still work when used."""

import subprocess
import sys

CHECK = r"""
import sys
from fitroom.person.mediapipe_import import import_mediapipe
mp = import_mediapipe()
assert "matplotlib" not in sys.modules, "matplotlib imported"
assert "mediapipe.tasks.python.vision" not in sys.modules, "the Tasks API imported"
assert mp.solutions.pose.Pose is not None
# what is deferred still works, in full, when it is used
assert callable(mp.solutions.drawing_utils.draw_landmarks)
assert "matplotlib" in sys.modules
assert mp.tasks.vision.PoseLandmarker is not None and mp.tasks.BaseOptions is not None
from mediapipe.python.solutions import drawing_styles
assert callable(drawing_styles.get_default_pose_landmarks_style)
print("ok")
"""


def test_mediapipe_is_imported_without_plotting_and_what_is_deferred_still_works():
    p = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]
