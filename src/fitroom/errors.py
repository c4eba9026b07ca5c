"""Exceptions a user can cause, each with a sentence the user understands.

The CLI turns any :class:`FitroomError` into a one-line message and a non-zero exit code;
the service turns it into a 4xx JSON error. Anything else is a bug.
"""

from __future__ import annotations


class FitroomError(Exception):
    """Base class: a problem with the user's input, not a bug in fitroom."""

    #: short machine-readable code, used by the HTTP API
    code: str = "invalid_input"


# --- images ---------------------------------------------------------------------------
class ImageError(FitroomError):
    code = "invalid_image"


class EmptyImageError(ImageError):
    code = "empty_file"


class UnsupportedImageError(ImageError):
    code = "unsupported_format"


class CorruptImageError(ImageError):
    code = "corrupt_image"


class ImageTooLargeError(ImageError):
    code = "image_too_large"


# --- people ---------------------------------------------------------------------------
class PersonError(FitroomError):
    code = "person_error"


class NoPersonError(PersonError):
    code = "no_person"


class MultiplePeopleError(PersonError):
    code = "multiple_people"


class KeypointsError(PersonError):
    code = "invalid_keypoints"


# --- garments -------------------------------------------------------------------------
class GarmentError(FitroomError):
    code = "garment_error"


class NoGarmentError(GarmentError):
    code = "no_garment"


class UnsupportedGarmentError(GarmentError):
    code = "unsupported_garment"


# --- data -----------------------------------------------------------------------------
class DatasetError(FitroomError):
    code = "dataset_error"
