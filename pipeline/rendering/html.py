"""A RecipientView and the templates folder → the document's HTML, the one place its words live.

Jinja2 with autoescape always on and undefined names an error, so nothing in an export can inject
markup and a template cannot silently print nothing. The PDF is laid out from this HTML and the
DOCX is built from the same HTML, so both carry the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from pipeline.planning.documents import RECORD_DOCUMENTS
from pipeline.redaction.view import RecipientView

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Composer:
    """Renders views to HTML with one Jinja environment (templates are compiled once)."""

    templates: Path
    environment: jinja2.Environment

    @classmethod
    def at(cls, templates: Path = DEFAULT_TEMPLATES) -> Composer:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=True,  # every template escapes, .css includes too (they hold no export text)
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        return cls(templates, environment)

    def template_name(self, view: RecipientView) -> str:
        """Which template writes this view: the one place it is chosen."""
        folder = "records" if view.document in RECORD_DOCUMENTS else "letters"
        if view.child_reader is not None:
            # A child's own copy is written to them where the templates have a child's version.
            written_to_child = f"{folder}/child/{view.document}.html"
            if (self.templates / written_to_child).is_file():
                return written_to_child
        return f"{folder}/{view.document}.html"

    def html(self, view: RecipientView, stamp: StampSlots | None = None) -> str:
        """The document's HTML; with `stamp`, a letter's address and salutation are left as the
        slots' words, for one layout every reader of the view shares (`letter_stamp`)."""
        template = self.environment.get_template(self.template_name(view))
        return template.render(v=view, stamp=stamp)


@dataclass(frozen=True, slots=True)
class StampSlots:
    """What a letter prints where the reader's address and salutation go when they are stamped
    on afterwards: words no export can contain (the caller makes them), found again in the HTML
    and the DOCX and replaced there."""

    address: str
    salutation: str
