"""Uploaded files: the gateway passes them to services as {filename, content_type, size, data}
(data base64-encoded); the service checks the real type from the bytes, never the name."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from chassis.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

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
    filename = str(value.get("filename") or "upload")[:200]
    return Upload(filename=filename, content_type=content_type, data=data)
