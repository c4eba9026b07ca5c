"""Reading an uploaded file within the byte limit."""

from __future__ import annotations

from fastapi import UploadFile

from fitroom.imaging import ImageLimits
from fitroom.service.errors import ApiError
from fitroom.service.settings import Settings


def limits(settings: Settings) -> ImageLimits:
    return ImageLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_upload_pixels,
                       max_side=settings.max_photo_side)


async def read_upload(file: UploadFile, settings: Settings) -> bytes:
    """The file's bytes; 413 past ``max_upload_bytes`` (read no further than that)."""
    limit = settings.max_upload_bytes
    chunks, size = [], 0
    while True:
        chunk = await file.read(1024 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "file_too_large", f"The file is larger than {limit / (1024 * 1024):g} MB.")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ApiError(422, "empty_file", "The uploaded file is empty.")
    return data
