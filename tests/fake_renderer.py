"""One fake renderer for the delivery run's tests: small deterministic files per copy, instantly.

Passed to the run as `renderer=` (or `RunTools(renderer=...)` through the CLI), where what is laid
out is not the point: which copies go, by which channel, and what the status says. Each PDF is a
real one-page PDF (the post batch joins them) whose words name the copy, the fingerprint the run
decided to send, the day it is dated and the edition lines; the DOCX-named file holds the same words. It can be told
to fail (a render error, held) for given copies, to hold given copies as the real renderer holds
one with a withheld item too short to look for, or to take a while over each (a slow layout).
"""

from __future__ import annotations

import functools
import io
import re
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf

from pipeline.contract.export import Export
from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import RenderError
from pipeline.planning.plan import PlannedCopy, file_stem
from pipeline.planning.routing import DEFAULT_ROUTING, Routing
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import view_for
from pipeline.service.conference import AmendmentContext, read_conference_copies

if TYPE_CHECKING:  # a worker imports this module: it stays clear of the real renderer's libraries
    from pipeline.rendering.html import Composer
    from pipeline.service.copy_renderer import CopyRequest
    from pipeline.service.render_pool import CopyJob

_NO_AMENDMENTS = AmendmentContext()


@functools.cache
def _profiles(profile_dirs: tuple[Path, ...]) -> dict[str, Profile]:
    return load_profiles(profile_dirs)


def fake_pdf(words: str) -> bytes:
    """A one-page A4 PDF whose page text is `words` (ASCII), readable by the leak check's reader,
    printed inside a window envelope's margins (20 mm in, from 60 mm down), so a post room's
    check of an envelope holding it judges the covering letter, not the fake."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                           BaseFont=pikepdf.Name.Helvetica)
    )  # fmt: skip
    lines, line = [], ""
    for word in words.split(" "):  # at most ~80 characters a line at 7 pt: inside 175 mm
        if line and len(line) + 1 + len(word) > 80:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    stream = b"BT /F1 7 Tf 9 TL 57 672 Td"
    for text in lines:
        data = text.encode("ascii", "replace").replace(b"\\", b"\\\\")
        data = data.replace(b"(", b"\\(").replace(b")", b"\\)")
        stream += b" (" + data + b") Tj T*"
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(stream + b" ET"),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


@dataclass(frozen=True)
class FakeRenderer:
    """Picklable, so worker processes can run it too."""

    fail: frozenset[str] = field(default_factory=frozenset)  # copy keys held as unrenderable
    # copy keys whose withheld items are too short for the leak check: held for a person, as the
    # real renderer holds them, until the chair's release says a person read the copy
    short: frozenset[str] = field(default_factory=frozenset)
    delay: float = 0.0  # seconds each copy takes, as a slow layout would

    def __call__(
        self,
        raw: bytes,
        profile_dirs: tuple[Path, ...],
        jobs: tuple[CopyJob, ...],
        context: AmendmentContext = _NO_AMENDMENTS,
        routing: Routing = DEFAULT_ROUTING,
    ) -> tuple[RenderedCopy, ...]:
        current = read_conference_copies(raw, _profiles(profile_dirs), context, routing).current
        rendered = []
        for job in jobs:
            time.sleep(self.delay)
            if job.copy_key in self.fail:
                raise RenderError(f"fake renderer told to fail for {job.copy_key}")
            copy = current.copies[job.copy_key]
            if job.copy_key in self.short and not job.checked_by_person:
                reason = "held for the chair: withheld item(s) too short to look for"
                rendered.append(RenderedCopy(copy, (), "held", reason, "short_items"))
                continue
            edition = job.edition + current.record_edition.get(job.copy_key, ())
            words = (
                f"{job.copy_key} fingerprint {job.fingerprint} issued {job.issued_on} "
                f"edition {' | '.join(edition)}"
            )
            stem = job.copy_key.split("/", 1)[1]
            files = [(f"{stem}.pdf", fake_pdf(words)), (f"{stem}.docx", words.encode())]
            if copy.via is not None:
                sheet = fake_pdf(f"hand-over sheet for {job.copy_key} via {copy.via}")
                files.append((f"handover-sheet-{stem}.pdf", sheet))
            rendered.append(RenderedCopy(copy, tuple(files), "ready", None))
        return tuple(rendered)


FAKE = FakeRenderer()


_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def fake_docx(words: str) -> bytes:
    """A zip with one Word body part holding `words`: enough for the leak check's DOCX reader,
    and deterministic (fixed dates), so a re-run writes the same bytes."""
    run = f"<w:p><w:r><w:t>{escape(words)}</w:t></w:r></w:p>"
    body = f'<w:document xmlns:w="{_WORD}"><w:body>{run}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("word/document.xml", (2000, 1, 1, 0, 0, 0)), body)
    return out.getvalue()


def _plain_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@dataclass(frozen=True)
class FakeCopyRenderer:
    """The preview's fake (`cpc process`, as `PreviewTools(renderer=FakeCopyRenderer.for_profile)`):
    no layout, but the words are the reader's real view (the redaction is real), so a test can
    still ask what a recipient's folder says. The PDF names the copy and the revision it came from."""

    composer: Composer
    words: PlainWords

    @classmethod
    def for_profile(cls, profile: Profile, composer: Composer) -> FakeCopyRenderer:
        return cls(composer, PlainWords.from_glossary(profile.glossary))

    def render(
        self, export: Export, copy: PlannedCopy, *, issued_on: date | None = None
    ) -> RenderedCopy:
        text = _plain_text(self.composer.html(view_for(export, copy, self.words, issued_on)))
        stem = file_stem(copy)
        words = f"{copy.recipient}/{stem} revision {export.revision} {text}"
        files = ((f"{stem}.pdf", fake_pdf(words)), (f"{stem}.docx", fake_docx(words)))
        return RenderedCopy(copy, files, "ready", None)

    def render_many(
        self, export: Export, requests: Sequence[CopyRequest]
    ) -> list[RenderedCopy]:
        return [self.render(export, r.copy, issued_on=r.issued_on) for r in requests]


@dataclass(frozen=True)
class LaidOutFor:
    """The real renderer for the copies a test reads (a copy key containing one of `keys`), the
    fake one for the rest: a test of what one reader's letter says need not lay out the other
    thirty-five copies of the conference first."""

    keys: tuple[str, ...]

    def __call__(
        self,
        raw: bytes,
        profile_dirs: tuple[Path, ...],
        jobs: tuple[CopyJob, ...],
        context: AmendmentContext = _NO_AMENDMENTS,
        routing: Routing = DEFAULT_ROUTING,
    ) -> tuple[RenderedCopy, ...]:
        from pipeline.service.render_pool import render_jobs  # the real one: WeasyPrint, docxtpl

        real = tuple(job for job in jobs if any(key in job.copy_key for key in self.keys))
        fake = tuple(job for job in jobs if job not in real)
        made = dict(zip(real, render_jobs(raw, profile_dirs, real, context, routing), strict=True))
        made |= dict(zip(fake, FAKE(raw, profile_dirs, fake, context, routing), strict=True))
        return tuple(made[job] for job in jobs)
