"""A RecipientView and the templates folder → the document's HTML, the one place its words live.

Jinja2 with autoescape always on and undefined names an error, so nothing in an export can inject
markup and a template cannot silently print nothing. The PDF is laid out from this HTML and the
DOCX is built from the same HTML, so both carry the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import markupsafe

from pipeline.errors import RenderError
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

    def welsh_template_name(self, view: RecipientView) -> str | None:
        """The Welsh template of a Welsh speaker's bilingual letter, where the view asks for one.
        The profile named it (`language.welsh_templates`), and the plan raised no translation
        for it, so its absence is the authority's set-up to mend: the copy is held, never sent
        in English only with nobody told."""
        if view.template_language is None:
            return None
        folder = "records" if view.document in RECORD_DOCUMENTS else "letters"
        name = f"{folder}/{view.template_language}/{view.document}.html"
        if not (self.templates / name).is_file():
            raise RenderError(
                f"the profile names a Welsh template for the {view.document.replace('_', ' ')}, "
                f"but {name} is not in the templates folder {self.templates}"
            )
        return name

    def html(self, view: RecipientView, stamp: StampSlots | None = None) -> str:
        """The document's HTML; with `stamp`, a letter's address and salutation are left as the
        slots' words, for one layout every reader of the view shares (`letter_stamp`).

        A bilingual letter is the English template with the Welsh template's title and body
        printed first (templates/letters/_language_line.html). Welsh first: the Welsh Language
        Standards (No. 1) Regulations 2015 ask that Welsh is not treated less favourably than
        English, and the Welsh Language Commissioner's guidance on bilingual design places the
        Welsh where it is read first."""
        template = self.environment.get_template(self.template_name(view))
        welsh = None
        welsh_name = self.welsh_template_name(view)
        if welsh_name is not None:
            welsh = self._part(welsh_name, view, stamp)
        return template.render(v=view, stamp=stamp, welsh=welsh)

    def _part(self, name: str, view: RecipientView, stamp: StampSlots | None) -> WelshPart:
        """A Welsh template's `title` and `body` blocks, written as the English template's are
        (it extends the same base, so a council fills it as it would the English one)."""
        template = self.environment.get_template(name)
        words = self.environment.get_template("_words.html").module
        context = template.new_context({"v": view, "stamp": stamp, "welsh": None, "w": words})
        blocks = template.blocks
        title = "".join(blocks["title"](context)) if "title" in blocks else ""
        body = "".join(blocks["body"](context)) if "body" in blocks else ""
        return WelshPart(markupsafe.Markup(title.strip()), markupsafe.Markup(body))


@dataclass(frozen=True, slots=True)
class WelshPart:
    """The Welsh of a bilingual letter, already escaped by its template."""

    title: markupsafe.Markup
    body: markupsafe.Markup


@dataclass(frozen=True, slots=True)
class StampSlots:
    """What a letter prints where the reader's address and salutation go when they are stamped
    on afterwards: words no export can contain (the caller makes them), found again in the HTML
    and the DOCX and replaced there."""

    address: str
    salutation: str
