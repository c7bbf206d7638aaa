"""Export files → each validated, planned and rendered for `cpc process` (the preview; no store).

Writing stays with the caller, in file order. What renders each copy is passed in (`renderer=`,
the real one by default), as for the delivery run, so that tests about the preview folder's
bookkeeping need not lay out every copy.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.contract.load import load_export
from pipeline.delivery.preview import RenderedCopy, sha256
from pipeline.errors import ContractError, CpcError
from pipeline.planning.plan import DistributionPlan
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import Profile
from pipeline.redaction.dating import not_before_export
from pipeline.rendering.fonts import installed_fonts_can_print
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import CopyRenderer, Renderer, render_plan
from pipeline.service.render_pool import tools

# One profile's copy renderer, made once per file. Must be picklable (a module-level function, a
# class or its classmethod) so that worker processes can be given it.
RendererFor = Callable[[Profile, Composer], CopyRenderer]
REAL_RENDERER: RendererFor = Renderer.for_profile


@dataclass(frozen=True, slots=True)
class PreviewTools:
    """What `cpc process` renders with when not the real renderer: a test's fake, given as the
    command's context object (as `RunTools` is for `cpc distribute`)."""

    renderer: RendererFor = REAL_RENDERER


@dataclass(frozen=True)
class FileRendering:
    """One export file validated, planned and rendered; `error` says why not, in plain words."""

    file: str
    error: str | None
    plan: DistributionPlan | None = None
    export_id: str = ""
    export_sha: str = ""
    rendered: tuple[RenderedCopy, ...] = ()


def render_file(
    path: Path,
    profile_dirs: tuple[Path, ...] = (),
    renderer: RendererFor = REAL_RENDERER,
    issued_on: date | None = None,
) -> FileRendering:
    """Validate, plan and render one export file (no writing: the caller writes, in order), its
    documents dated `issued_on` (the preview's day; None: the export's, for a test of content).

    A top-level function of plain arguments, so that worker processes can run it."""
    profiles, composer = tools(profile_dirs)
    try:
        raw = path.read_bytes()
        export = load_export(raw, profiles.keys(), str(path), installed_fonts_can_print)
    except OSError as exc:
        return FileRendering(str(path), f"{path}: cannot read the file ({exc.strerror})")
    except ContractError as exc:
        return FileRendering(str(path), str(exc))
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = profile.working_calendar(export.authority.nation)
    plan = plan_distribution(export, profile, calendar)
    try:
        if issued_on is not None:
            not_before_export(export, issued_on)
        rendered = tuple(render_plan(export, plan, renderer(profile, composer), issued_on))
    except CpcError as exc:
        return FileRendering(str(path), f"{path}: {exc}")
    return FileRendering(str(path), None, plan, export.export_id, sha256(raw), rendered)


def render_files(
    paths: Sequence[Path],
    profile_dirs: tuple[Path, ...],
    workers: int,
    renderer: RendererFor = REAL_RENDERER,
    issued_on: date | None = None,
) -> Iterator[FileRendering]:
    """Each file's rendering, in the order given; with workers > 1, laid out in parallel.

    Workers start by forkserver: WeasyPrint is known to crash in a process forked after it has
    loaded its libraries. Writing stays in the caller, in file order, so two revisions of one
    conference in one run are still taken one after the other."""
    if workers <= 1 or len(paths) <= 1:
        for path in paths:
            yield render_file(path, profile_dirs, renderer, issued_on)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(
            render_file,
            paths,
            [profile_dirs] * len(paths),
            [renderer] * len(paths),
            [issued_on] * len(paths),
        )
