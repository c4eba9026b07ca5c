"""A person analysis on disk without pickle: arrays in an ``.npz`` plus a JSON header.

``pickle.loads`` of a file means that whoever can write the data folder can run code in the
server; ``numpy.load(..., allow_pickle=False)`` of plain arrays cannot. The photo itself is
not stored here (it is the stored photo); :func:`load_person` takes it back and checks that
every array fits it.
"""

from __future__ import annotations

import io
import json

import numpy as np

from fitroom.errors import FitroomError
from fitroom.person.analyze import PersonAnalysis
from fitroom.person.body import body_frame

__all__ = ["FORMAT", "dump_person", "load_person"]

#: the header's ``format``; a file of another format is not read (the analysis is made anew)
FORMAT = "fitroom.person-analysis/1"


def dump_person(pa: PersonAnalysis) -> bytes:
    """``pa`` without its image, as the bytes of a compressed ``.npz``."""
    h, w = pa.image.shape[:2]
    header = {"format": FORMAT, "width": int(w), "height": int(h), "keypoint_source": pa.keypoint_source,
              "parse_source": pa.parse_source, "has_face": pa.face_polygon is not None}
    buf = io.BytesIO()
    np.savez_compressed(buf, header=np.array(json.dumps(header)), keypoints=pa.keypoints.astype(np.float32),
                        person_mask=np.packbits(pa.person_mask.astype(bool), axis=None),
                        parse=pa.parse.astype(np.uint8),
                        face_polygon=(pa.face_polygon if pa.face_polygon is not None else np.zeros((0, 2))).astype(np.float32),
                        skin_rgb=np.asarray(pa.skin_rgb, np.float32))
    return buf.getvalue()


def load_person(blob: bytes, image: np.ndarray) -> PersonAnalysis:
    """The analysis in ``blob`` (from :func:`dump_person`) of the photo ``image`` ((H, W, 3)
    uint8). FitroomError when it is not such a file or does not fit the photo."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            if header.get("format") != FORMAT:
                raise FitroomError(f"not a {FORMAT} file")
            h, w = image.shape[:2]
            if (header["height"], header["width"]) != (h, w):
                raise FitroomError("the analysis is of a photo of another size")
            kp = np.asarray(z["keypoints"], np.float32)
            mask = np.unpackbits(z["person_mask"], count=h * w).reshape(h, w).astype(bool)
            parse = np.asarray(z["parse"], np.uint8)
            face = np.asarray(z["face_polygon"], np.float32)
            skin = np.asarray(z["skin_rgb"], np.float32)
    except FitroomError:
        raise
    except Exception as e:  # not an npz, a missing array, bad JSON ...
        raise FitroomError(f"not a readable person analysis: {type(e).__name__}") from None
    if kp.shape != (25, 3) or parse.shape != (h, w) or skin.shape != (3,) or face.ndim != 2:
        raise FitroomError("the person analysis has arrays of the wrong shape")
    return PersonAnalysis(image=image, keypoints=kp, keypoint_source=str(header["keypoint_source"]),
                          person_mask=mask, parse=parse, parse_source=str(header["parse_source"]),
                          face_polygon=face if header.get("has_face") else None, skin_rgb=skin, frame=body_frame(kp))
