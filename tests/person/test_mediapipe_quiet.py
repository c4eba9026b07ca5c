"""MediaPipe's native logging (TFLite, absl) never reaches the terminal: a fresh process
running pose and face estimation prints nothing on stderr but what Python writes itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# the first pose run finds no one (the landmark calculators do not run), later ones do, on
# square and non-square photos: the one-time "landmark_projection_calculator" warning
# comes on the first run that finds a person, wherever that is
_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from fitroom.examples import example_person
    from fitroom.imaging import load_image
    from fitroom.person import mediapipe_models as m

    img = load_image(example_person())
    assert m.run_pose(np.full((64, 64, 3), 255, np.uint8)) is None
    assert m.run_face_oval(np.full((64, 64, 3), 255, np.uint8)) is None
    {calls}
    print("MARK-FROM-PYTHON", file=sys.stderr, flush=True)
""")

_CASES = {
    "pose": """
    assert m.run_pose(img) is not None
    assert m.run_pose(np.ascontiguousarray(img[:, 96:416])) is not None""",
    "face": """
    faces = m.run_face_detection(img)
    assert faces and m.run_face_oval(img, faces[0].box) is not None""",
    "warm_up_then_all": """
    m.warm_up()
    assert m.run_pose(np.ascontiguousarray(img[40:, :400])) is not None
    assert m.run_face_oval(img) is not None""",
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_no_native_log_lines_on_stderr(case):
    script = _SCRIPT.replace("{calls}", textwrap.dedent(_CASES[case]).strip())
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    # Python's own stderr still works after the silenced native runs ...
    assert "MARK-FROM-PYTHON" in r.stderr
    # ... and nothing native got through
    assert "landmark_projection_calculator" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines() == ["MARK-FROM-PYTHON"], r.stderr
