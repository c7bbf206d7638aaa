"""WeasyPrint itself, the one module that imports it: HTML → PDF bytes, fetching nothing, failing
loudly, carrying no stray metadata.

WeasyPrint (with fontTools under it) is ~0.6 s of a command's start-up: `pipeline.rendering.pdf`
imports this module on its first layout, so a command that lays nothing out starts without it.

WeasyPrint's own habit is to log a problem and carry on; a legal letter must not go out half laid
out, so every warning WeasyPrint logs while rendering becomes an error (a character no font draws
is one: WeasyPrint warns of its .notdef glyph). Resources: deny by default; only files inside the
templates folder may be read (there are none today: the stylesheet is inlined), and the installed
font files fontconfig knows, which the stylesheet's @font-face src: local() reads.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from pipeline.errors import RenderError
from pipeline.rendering.fonts import installed_font_files
from pipeline.rendering.pdf import Anchors

# PDF/A-3 level A ("accessible"): the archive format the copies always had (level B), plus a
# structure tree, the document language and Unicode text: a screen reader hears the headings,
# tables and lists in order (the Public Sector Bodies Accessibility Regulations 2018).
# Level A rather than a-3b with pdf_tags=True: the file then claims (pdfaid 3/A) what it is, and
# WeasyPrint itself refuses an -a document without <html lang>. Stamp layouts are the exception:
# they are drawn onto a copy as artifacts (pdf_marks.overlay_pages), so they are laid out untagged.
PDF_VARIANT = "pdf/a-3a"
UNTAGGED_VARIANT = "pdf/a-3b"


class TemplatesOnlyFetcher(URLFetcher):
    """Refuses every URL except files inside the templates folder and installed font files (and
    never the network)."""

    def __init__(self, templates: Path) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)
        self._root = templates.resolve()

    def fetch(self, url: str, headers: object = None):  # type: ignore[no-untyped-def]
        if url.startswith("file:"):
            path = Path(
                weasyprint.urls.request.url2pathname(url.removeprefix("file:").split("?")[0])
            )
            resolved = path.resolve()
            if resolved.is_relative_to(self._root) or resolved in installed_font_files():
                return super().fetch(url, headers)
        raise FatalURLFetchingError(
            f"refused to fetch {url!r}: documents may use no outside resource"
        )


class _RaiseOnLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_must_not_warn() -> Iterator[_RaiseOnLog]:
    handler = _RaiseOnLog()
    loggers = [logging.getLogger("weasyprint"), logging.getLogger("weasyprint.progress")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


@functools.cache
def _font_configuration() -> FontConfiguration:
    # One per process: WeasyPrint otherwise builds a fontconfig set for every layout, which grew
    # memory by ~6 MB a conference in a long run and cost ~15% of a record's layout time. The
    # only @font-face rules are _fonts.css's, the same in every document: WeasyPrint adds each
    # once (keyed by its descriptors) and later layouts find it there, so the set stops growing.
    return FontConfiguration()


def _said(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def lay_out(html: str, templates: Path, *, tagged: bool = True) -> bytes:
    """Lay out `html` and return the PDF (PDF/A-3a, tagged; PDF/A-3b if not `tagged`), or raise
    RenderError if anything was amiss."""
    return lay_out_anchored(html, templates, tagged=tagged)[0]


def lay_out_anchored(html: str, templates: Path, *, tagged: bool = True) -> tuple[bytes, Anchors]:
    """As `lay_out`, with where each element with an id was placed: a stamp is drawn where the
    layout left room for it, and a stamp's own ends show whether its text fitted."""
    fetcher = TemplatesOnlyFetcher(templates)
    fonts = _font_configuration()
    with _weasyprint_must_not_warn() as problems:
        try:
            document = weasyprint.HTML(
                string=html, base_url=templates.resolve().as_uri() + "/", url_fetcher=fetcher
            ).render(font_config=fonts)
            anchors = tuple(dict(page.anchors) for page in document.pages)
            variant = PDF_VARIANT if tagged else UNTAGGED_VARIANT
            pdf = document.write_pdf(pdf_variant=variant, custom_metadata=False)
        except FatalURLFetchingError as exc:
            raise RenderError(str(exc)) from exc
        except Exception as exc:
            # WeasyPrint has no error class of its own: whatever it raises is wrapped here,
            # where it enters, so callers catch one RenderError (the cause stays attached).
            raise RenderError(f"WeasyPrint could not lay the document out ({_said(exc)})") from exc
    if problems.messages:
        raise RenderError("WeasyPrint reported: " + "; ".join(problems.messages))
    assert pdf is not None
    return pdf, anchors
