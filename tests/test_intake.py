"""intake.read_document: bytes → accepted document, or a rejection in plain words (issue 4)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.errors import RejectedFile
from pipeline.intake.accept import DEFAULT_MAX_BYTES, read_document
from pipeline.procedure.profile import load_profiles
from tests.conftest import EXAMPLES, example

KNOWN = frozenset(load_profiles(()).keys())
SECRET = b"Jane Doe lives at 4 Privet Drive"  # planted in bad files; no reason may repeat it


def pdf_bytes() -> bytes:
    """A small but real-looking PDF: header, binary comment, an object, a stream with NULs."""
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"3 0 obj\n<< /Length 40 >>\nstream\n" + SECRET + b"\x00\x01\x02\xff\xfe\x00\x00\x10"
        b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document>{SECRET.decode()}</w:document>")
    return buffer.getvalue()


def broken_export() -> bytes:
    data = example("initial-domestic-abuse")
    data["people"][0]["email"] = "not-an-email"
    data["people"][1]["email"] = "also not one"
    return json.dumps(data, indent=2).encode()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_example_is_accepted_with_its_kind_and_hash(path) -> None:
    """issue 4: libmagic calls these application/json or text/plain by version; both pass."""
    raw = path.read_bytes()
    accepted = read_document(raw, path.name, KNOWN)
    expected = Amendment if path.stem.startswith("amendment") else Export
    assert isinstance(accepted.document, expected)
    assert accepted.kind == ("amendment" if expected is Amendment else "export")
    assert accepted.raw == raw
    assert accepted.sha256 == hashlib.sha256(raw).hexdigest()


def test_an_export_saved_with_a_byte_order_mark_is_accepted() -> None:
    """issue 4: Windows tools write a UTF-8 BOM; it is still UTF-8."""
    raw = b"\xef\xbb\xbf" + (EXAMPLES / "pre-birth-scheduled.json").read_bytes()
    assert read_document(raw, "x.json", KNOWN).kind == "export"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "the file is empty"),
        # Size is judged before the content: a huge PDF is refused as huge, not as a PDF.
        (b"%PDF-1.7\n" + b"\x00" * DEFAULT_MAX_BYTES, "larger than 2 MB"),
        (pdf_bytes(), "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, "an image"),
        (docx_bytes(), "ZIP archive"),
        # No type libmagic knows, but NUL bytes: binary, whatever the name says.
        (b"\x00\x01\x02\x03" * 64 + SECRET, "binary data"),
        # Latin-1 text: libmagic calls it text, so the UTF-8 check names the byte.
        ('{"name": "Zoë"}'.encode("latin-1"), "not UTF-8 text (byte 12 cannot be read)"),
        ('{"format": "cpc-export/1"}'.encode("utf-16"), "not UTF-8"),
        (b'{"format": "cpc-export/1",', "not valid JSON"),
        (b'{"format": "cpc-minutes/9"}', "format: is 'cpc-minutes/9'; expected one of"),
    ],
    ids=[
        "empty",
        "too-large",
        "pdf",
        "png",
        "docx",
        "nul-bytes",
        "latin-1",
        "utf-16",
        "truncated-json",
        "unknown-format",
    ],
)
def test_a_file_that_is_not_a_document_is_rejected_in_plain_words(raw: bytes, words: str) -> None:
    """issue 4: each rejection says what is wrong, for an administrator, quoting no content."""
    with pytest.raises(RejectedFile) as caught:
        read_document(raw, "drop.json", KNOWN)
    reason = caught.value.reason
    assert words in reason
    assert str(caught.value) == reason
    assert SECRET.decode() not in reason


@pytest.mark.parametrize(
    "raw",
    [b"", b"{" * (DEFAULT_MAX_BYTES + 1), pdf_bytes(), b"\x00" * 10, b"caf\xe9"],
    ids=["empty", "too-large", "pdf", "binary", "latin-1"],
)
def test_a_rejection_before_the_contract_fits_on_one_line(raw: bytes) -> None:
    """issue 4: only the contract's problem list runs to several lines."""
    with pytest.raises(RejectedFile) as caught:
        read_document(raw, "drop.json", KNOWN)
    assert "\n" not in caught.value.reason


def test_a_broken_export_is_rejected_with_every_problem_and_its_json_path() -> None:
    """issue 4 (contract): the reason carries the contract's full message, not just the first."""
    with pytest.raises(RejectedFile) as caught:
        read_document(broken_export(), "exports/x.json", KNOWN)
    reason = caught.value.reason
    assert reason.startswith("the file breaks the contract: exports/x.json: 2 problems")
    assert "people[0].email: must be an e-mail address" in reason
    assert "people[1].email: must be an e-mail address" in reason


def test_the_size_limit_can_be_set_and_a_file_exactly_at_it_passes() -> None:
    """issue 4: max_bytes is the largest accepted size, inclusive."""
    raw = (EXAMPLES / "amendment-agreed.json").read_bytes()
    assert read_document(raw, "a.json", KNOWN, max_bytes=len(raw)).kind == "amendment"
    with pytest.raises(RejectedFile, match="larger than"):
        read_document(raw, "a.json", KNOWN, max_bytes=len(raw) - 1)


def test_a_profile_the_pipeline_does_not_know_is_a_contract_problem() -> None:
    """issue 4: known_profiles is passed through to the contract's cross-field checks."""
    raw = (EXAMPLES / "review-plan-ends.json").read_bytes()
    with pytest.raises(RejectedFile, match="procedure_profile"):
        read_document(raw, "x.json", frozenset())
