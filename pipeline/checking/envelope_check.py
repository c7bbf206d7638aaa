"""An envelope's PDF, its reference and its addressee → proof that every page belongs in it, or a PostBatchError.

Read back from the PDF as a printer would print it (pypdfium2), never taken from the packer's
bookkeeping: every page must carry an envelope mark ("Envelope <reference>, for <name> only.",
templates/_words.html) naming this envelope and its addressee and no other, and whatever else
says whose the page is (a copy's own mark, "Copy for <name>", templates/_marks.html; a letter's
"Dear <name>,") must name the addressee too, except on the pages of a copy the addressee hands
over to the person it was made for. One page of someone else's in an
envelope is the breach this check exists to stop (a withheld action seen by the wrong parent), so
the whole batch is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from pipeline.checking.pdf_reading import page_texts
from pipeline.errors import PostBatchError

_ENVELOPE_MARK = re.compile(r"Envelope ([0-9A-F]{8}), for (.+?) only\.")
# Whose a page is by its own words: the copy's marks ("Copy for <name>. Confidential...", "Copy
# for <name>, made for ...") and a letter's salutation, a line of its own (letters/_base.html:
# "Dear <name>,"; a "Dear Sir," quoted inside a record's paragraph is not one).
_COPY_MARK = re.compile(r"Copy for (.+?)(?:\. Confidential|, made for | as authorised by )")
_SALUTATION = re.compile(r"^Dear (.+),$")


def normalised(text: str) -> str:
    """As compared: compatibility forms folded (ligatures a PDF's text may hold), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def envelope_problems(
    pdf: bytes, *, reference: str, addressee: str, handed_over_pages: Collection[int] = ()
) -> list[str]:
    """Every page that does not belong in this envelope, in words naming pages, never people.
    `handed_over_pages`: 1-based pages of copies made for someone the addressee hands them to."""
    name = normalised(addressee)
    problems: list[str] = []
    for number, raw in enumerate(page_texts(pdf), start=1):
        text = normalised(raw)
        marks = _ENVELOPE_MARK.findall(text)
        if not marks:
            problems.append(f"page {number} has no envelope mark")
        elif any(ref != reference or who != name for ref, who in marks):
            problems.append(f"page {number} is marked for another envelope or person")
        owners = set(_COPY_MARK.findall(text)) | {
            normalised(found.group(1))
            for line in raw.splitlines()
            if (found := _SALUTATION.match(normalised(line)))
        }
        if number not in handed_over_pages and owners - {name}:
            problems.append(f"page {number} is a copy made for another person")
    return problems


def check_envelope(
    pdf: bytes, *, reference: str, addressee: str, handed_over_pages: Collection[int] = ()
) -> None:
    """Raise PostBatchError unless every page of the envelope belongs to its addressee."""
    problems = envelope_problems(
        pdf, reference=reference, addressee=addressee, handed_over_pages=handed_over_pages
    )
    if problems:
        shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        raise PostBatchError(
            f"envelope {reference}: {shown}; the batch is refused and nothing was posted"
        )
