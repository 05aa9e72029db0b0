"""What an uploaded library file really is, from its bytes: images by Pillow, videos by
their container's signature. The admin refuses a file whose content is not what its name
says, and the media view (config/media.py) serves the type the bytes show."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

OCTET_STREAM = "application/octet-stream"
IMAGE_FORMATS = {"JPEG": ("jpg", "jpeg"), "PNG": ("png",), "WEBP": ("webp",)}
VIDEO_TYPES = {"video/mp4": ("mp4",), "video/webm": ("webm",)}


def sniff_content_type(head: bytes) -> str:
    """The media type the first 16 bytes of a file show, or application/octet-stream."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":  # ISO base media (MP4): the file starts with its ftyp box
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # the EBML header of Matroska / WebM
        return "video/webm"
    return OCTET_STREAM


def _head(file, size: int = 16) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(size)
    file.seek(position)
    return head


def _extension(file) -> str:
    return file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""


def validate_image_content(file) -> None:
    """A JPEG, PNG or WebP picture that Pillow reads, named for what it is."""
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        image_format = None
    finally:
        file.seek(0)
    if image_format not in IMAGE_FORMATS or _extension(file) not in IMAGE_FORMATS[image_format]:
        raise ValidationError(
            _("Upload a JPEG, PNG or WebP picture whose name ends as its format does."),
            code="image_content",
        )


def validate_video_content(file) -> None:
    """An MP4 (ftyp box) or WebM (EBML header) file, named for what it is."""
    content_type = sniff_content_type(_head(file))
    if content_type not in VIDEO_TYPES or _extension(file) not in VIDEO_TYPES[content_type]:
        raise ValidationError(
            _("Upload an MP4 or WebM video whose name ends as its format does."),
            code="video_content",
        )
