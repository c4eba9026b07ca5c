"""A try-on's picture with the face hidden, for downloads and share links that ask for it.

The face is the one fitroom's analysis found in the photo the try-on was made from (the
result keeps the photo's face, pixel for pixel); it is pixelated on the fly, so no second
copy of anyone's picture is stored.
"""

from __future__ import annotations

from fitroom.person.anonymize import face_region, hide_face
from fitroom.service.engine import decode_stored, encode_jpeg
from fitroom.service.models import Photo, TryOn

__all__ = ["picture_without_face"]


def picture_without_face(svc, db, t: TryOn) -> bytes:
    """The JPEG of try-on ``t`` with its person's face pixelated."""
    result = decode_stored(svc.storage.read(t.result_path))
    photo = db.get(Photo, t.photo_id)
    if photo is None:  # the photo is gone (the try-on goes with it): nothing to go on
        raise LookupError("the try-on's photo is gone")

    def cached():
        return svc.storage.read(photo.analysis_path) if photo.analysis_path and svc.storage.exists(photo.analysis_path) else None

    def save(blob: bytes) -> None:
        if photo.analysis_path:
            svc.storage.write(photo.analysis_path, blob)

    pa = svc.engine.person(photo.id, cached, lambda: decode_stored(svc.storage.read(photo.image_path)), save)
    region = face_region(pa)
    if region.shape != result.shape[:2]:
        import cv2
        import numpy as np

        region = cv2.resize(region.astype(np.uint8), (result.shape[1], result.shape[0]),
                            interpolation=cv2.INTER_NEAREST).astype(bool)
    return encode_jpeg(hide_face(result, region))
