"""Uploaded files: the gateway passes them to services as {filename, content_type, size, data}
(data base64-encoded); the service checks the real type from the bytes, never the name."""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass

from chassis.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_FILENAME_CHARS = 200
# Characters that reorder how a name is shown (U+202E makes "gpj.exe" read as "exe.jpg").
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"RIFF", "image/webp"),  # checked further below
)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str  # sniffed from the bytes
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            if content_type == "image/webp" and data[8:12] != b"WEBP":
                continue
            return content_type
    return None


def safe_filename(name: object, *, default: str = "upload") -> str:
    """The base name of a file a client named, fit to store and to send back.

    Browsers send only a base name, but any client can send `../../etc/passwd.png` or
    `C:\\x\\y.png`: keep what follows the last slash or backslash, drop control characters,
    lone surrogates and bidi overrides, and keep at most MAX_FILENAME_CHARS characters (and the
    extension). Letters of every script stay as they are."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI_CONTROLS
    ).strip()
    if not text.strip("."):
        return default
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and len(extension) <= 16:
            text = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:MAX_FILENAME_CHARS]
    return text


def read_upload(
    value: object,
    *,
    allowed: frozenset[str],
    max_bytes: int = MAX_UPLOAD_BYTES,
    field: str = "file",
) -> Upload:
    """The upload in a request body's `field`, or a 4xx error naming what is wrong."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        raise ValidationFailed(fields={field: ["Attach a file."]})
    try:
        data = base64.b64decode(value["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(fields={field: ["The file could not be read."]}) from exc
    if not data:
        raise ValidationFailed(fields={field: ["The file is empty."]})
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"A file may be at most {max_bytes // (1024 * 1024)} MB.",
            {field: [f"At most {max_bytes} bytes."]},
        )
    content_type = sniff(data)
    if content_type not in allowed:
        kinds = ", ".join(sorted(t.split("/")[1].upper() for t in allowed))
        raise UnsupportedMediaType(f"Upload {kinds} only.", {field: [f"Upload {kinds} only."]})
    return Upload(
        filename=safe_filename(value.get("filename")), content_type=content_type, data=data
    )


def file_payload(*, filename: str, content_type: str, data: bytes) -> dict[str, str]:
    """A file as the gateway's download routes (Route(download=True)) expect it."""
    return {
        "filename": filename,
        "content_type": content_type,
        "data": base64.b64encode(data).decode("ascii"),
    }
