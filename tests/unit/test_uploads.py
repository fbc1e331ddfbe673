import base64

import pytest

from chassis.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from chassis.uploads import MAX_FILENAME_CHARS, read_upload, safe_filename, sniff

PDF = b"%PDF-1.7\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
ALLOWED = frozenset({"application/pdf", "image/png", "image/jpeg"})


def as_field(data: bytes, filename: str = "id.pdf") -> dict:
    return {"filename": filename, "data": base64.b64encode(data).decode()}


def test_type_comes_from_the_bytes_not_the_name():
    assert read_upload(as_field(PNG, "looks.pdf"), allowed=ALLOWED).content_type == "image/png"
    assert sniff(b"MZ\x90\x00") is None


def test_wrong_type_is_refused_with_the_field_named():
    with pytest.raises(UnsupportedMediaType) as raised:
        read_upload(as_field(b"#!/bin/sh\nrm -rf /", "id.pdf"), allowed=ALLOWED)
    assert "file" in raised.value.fields


def test_oversized_upload_is_refused():
    with pytest.raises(PayloadTooLarge):
        read_upload(as_field(PDF + b"0" * 2048), allowed=ALLOWED, max_bytes=1024)


@pytest.mark.parametrize("value", [None, {}, {"data": "***not base64***"}, {"data": ""}])
def test_missing_or_unreadable_upload(value):
    with pytest.raises(ValidationFailed):
        read_upload(value, allowed=ALLOWED)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\x\\y.png", "y.png"),
        ("/var/tmp/", "upload"),
        ("..", "upload"),
        ("ឡូហ្គោ.png", "ឡូហ្គោ.png"),
        ("a\x00b\x1f.png", "ab.png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("x\ud800.png", "x.png"),
        (None, "upload"),
    ],
)
def test_only_the_base_name_of_an_uploaded_file_is_kept(sent, kept):
    assert read_upload(as_field(PNG, sent), allowed=ALLOWED).filename == kept
    assert safe_filename(sent) == kept


def test_a_long_file_name_keeps_its_extension():
    name = safe_filename("ក" * 500 + ".pdf")
    assert len(name) == MAX_FILENAME_CHARS and name.endswith("ក.pdf")
