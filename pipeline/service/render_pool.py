"""Copies the run chose (by key) → their rendered files, in worker processes with a time budget each.

Workers are given plain data (the stored export, its amendments, the jobs) and work the copies out
again themselves. What renders is passed in (`RenderJobs`): the real renderer by default, a fake
in tests where what is laid out is not the point.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pebble import ProcessPool

from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import CpcError
from pipeline.planning.plan import file_stem
from pipeline.planning.routing import DEFAULT_ROUTING, Routing
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.rendering.handover_sheet import handover_facts, handover_html
from pipeline.rendering.html import Composer
from pipeline.rendering.pdf import render_pdf
from pipeline.service.conference import AmendmentContext, Conference, read_conference_copies
from pipeline.service.copy_renderer import CopyRequest, Renderer
from pipeline.service.routing_config import routing_for
from pipeline.service.summary import plain_error

if TYPE_CHECKING:
    from pipeline.service.settings import RunSettings


@dataclass(frozen=True, slots=True)
class CopyJob:
    """One copy the delivery stage wants rendered, by its key, and how."""

    copy_key: str
    edition: tuple[str, ...] = ()
    checked_by_person: bool = False
    fingerprint: str = ""  # the content the run decided to send; the delivery is of this
    # The day the copy is dated: the run's day, the day it is delivered. Not part of the
    # fingerprint, so a run on another day does not see a changed copy.
    issued_on: date | None = None


@functools.cache
def tools(profile_dirs: tuple[Path, ...]) -> tuple[dict[str, Profile], Composer]:
    # Once per process: a worker reuses its profiles and compiled templates for every file.
    return load_profiles(profile_dirs), Composer.at()


_NO_AMENDMENTS = AmendmentContext()

# Plain arguments in, rendered copies out, in the jobs' order: run in a worker process.
RenderJobs = Callable[
    [bytes, tuple[Path, ...], tuple["CopyJob", ...], AmendmentContext, Routing],
    tuple[RenderedCopy, ...],
]


def render_jobs(
    raw: bytes,
    profile_dirs: tuple[Path, ...],
    jobs: tuple[CopyJob, ...],
    context: AmendmentContext = _NO_AMENDMENTS,
    routing: Routing = DEFAULT_ROUTING,
) -> tuple[RenderedCopy, ...]:
    """Render the named copies of one stored export (in a worker process: plain arguments in,
    bytes out). The copies are worked out again here from the same data and the run's routing,
    so the worker needs nothing but the export and its amendments, and plans as the run did."""
    profiles, composer = tools(profile_dirs)
    conference = read_conference_copies(raw, profiles, context, routing)
    current = conference.current
    renderer = Renderer.for_profile(conference.profile, composer)
    plan_tasks = current.plan.tasks  # planned once, above, as the run planned it
    requests = [
        CopyRequest(
            current.copies[job.copy_key],
            job.edition + current.record_edition.get(job.copy_key, ()),
            job.checked_by_person,
            current.amendment_of.get(job.copy_key),
            job.issued_on,
        )
        for job in jobs
    ]
    rendered = []
    for job, request, item in zip(
        jobs, requests, renderer.render_many(current.export, requests), strict=True
    ):
        copy = request.copy
        # Files are named by the copy's key, so two notices to one reader never share a name.
        stem, key_stem = file_stem(copy), job.copy_key.split("/", 1)[1]
        files = tuple((name.replace(stem, key_stem, 1), data) for name, data in item.files)
        if item.status == "ready" and copy.via is not None:
            # The social worker's sheet travels with the copy (002 §22.9); it is for them, and
            # says whose copy it is and by when, never what is in it.
            facts = handover_facts(current.export, copy, plan_tasks, request.edition)
            sheet = render_pdf(handover_html(composer, facts), composer.templates)
            # Named for its copy: a record and a later notice share the social worker's folder.
            files = (*files, (f"handover-sheet-{key_stem}.pdf", sheet))
        rendered.append(dataclasses.replace(item, files=files))
    return tuple(rendered)


def render_all(
    work: Iterable[tuple[Conference, tuple[CopyJob, ...]]],
    settings: RunSettings,
    render: RenderJobs = render_jobs,
) -> Iterator[tuple[Conference, tuple[CopyJob, ...], tuple[RenderedCopy, ...] | str]]:
    """Each conference's rendered copies, in the order given, or why they could not be made."""
    routing = routing_for(settings.channels, settings.smtp)
    if settings.workers == 0:
        for conference, jobs in work:
            try:
                yield (
                    conference,
                    jobs,
                    render(
                        conference.stored.raw,
                        settings.profile_dirs,
                        jobs,
                        conference.context,
                        routing,
                    ),
                )
            except Exception as exc:  # one conference's fault holds back only its own copies
                yield conference, jobs, plain_error(exc)
        return
    # WeasyPrint is known to crash in a process forked after it loaded its libraries: forkserver.
    context = multiprocessing.get_context("forkserver")
    with ProcessPool(max_workers=settings.workers, context=context) as pool:

        def schedule(conference: Conference, jobs: tuple[CopyJob, ...], timeout: float) -> Any:
            return pool.schedule(
                render,
                args=(conference.stored.raw, settings.profile_dirs, jobs, conference.context, routing),
                timeout=timeout,
            )

        # A few conferences ahead of the one being delivered, not the whole night: the workers
        # always have the next one to start, and memory holds only these.
        ahead = settings.workers * 2 + 1
        waiting: collections.deque[tuple[Conference, tuple[CopyJob, ...], Any]] = (
            collections.deque()
        )
        chosen = iter(work)
        for conference, jobs in itertools.islice(chosen, ahead):
            waiting.append((conference, jobs, schedule(conference, jobs, _budget(settings, jobs))))
        while waiting:
            conference, jobs, future = waiting.popleft()
            for following, its_jobs in itertools.islice(chosen, 1):
                waiting.append(
                    (following, its_jobs, schedule(following, its_jobs, _budget(settings, its_jobs)))
                )
            failure = _outcome_failure(future, settings)
            if failure is None:
                yield conference, jobs, future.result()
            elif len(jobs) == 1:
                yield conference, jobs, failure
            else:
                # Find the document that stuck or crashed: each alone, with its own time limit,
                # so one bad document holds back only itself.
                singles = [
                    (job, schedule(conference, (job,), settings.document_timeout)) for job in jobs
                ]
                for job, single in singles:
                    failed = _outcome_failure(single, settings)
                    yield conference, (job,), failed if failed is not None else single.result()
            del future  # each conference's bytes are let go once delivered


def _budget(settings: RunSettings, jobs: tuple[CopyJob, ...]) -> float:
    return settings.document_timeout * len(jobs)


def _outcome_failure(future: Any, settings: RunSettings) -> str | None:
    """Why a worker's rendering has no result (waiting for it), or None if it has one."""
    try:
        future.result()
    except FutureTimeout:
        return (
            f"rendering took longer than {settings.document_timeout:g} s a document and was "
            "stopped; nothing of it was sent"
        )
    except CpcError as exc:
        return str(exc)
    except Exception as exc:  # a worker that died (a crash in a C library, say)
        return f"rendering failed in a worker process ({exc!r})"
    return None
