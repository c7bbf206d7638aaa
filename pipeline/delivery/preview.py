"""Rendered copies of one conference → files in DIR/<conference>/<recipient>/ and a manifest, written atomically.

Each file is written to a temporary name in the same folder and renamed into place, so a reader
(or a crash) never sees half a file; a file whose bytes are already there is not touched, so a
re-run on the same export rewrites nothing. The manifest is written last.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import StaleExport
from pipeline.files import write_atomically
from pipeline.planning.plan import DistributionPlan, PlannedCopy


@dataclass(frozen=True, slots=True)
class RenderedCopy:
    """A planned copy after rendering: its files (name → bytes) if it can go, else why not."""

    copy: PlannedCopy
    files: tuple[tuple[str, bytes], ...]
    status: str
    reason: str | None
    # Why it is held, as a code the store and `cpc release` act on: address, leak, unreadable,
    # short_items, render_error (None when not held).
    hold_kind: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxResult:
    manifest: Path
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    removed: tuple[Path, ...] = ()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _refuse_stale(folder: Path, plan: DistributionPlan, export_id: str, export_sha: str) -> None:
    """Spec §1: a lower or equal revision is a duplicate or stale, and a changed file may not
    reuse an export_id; neither may replace what the outbox holds."""
    path = folder / "manifest.json"
    if not path.exists():
        return
    held = json.loads(path.read_text(encoding="utf-8"))
    same_content = held.get("export_sha256") == export_sha
    if held.get("revision", 0) > plan.revision:
        raise StaleExport(
            f"{plan.conference}: revision {plan.revision} is older than revision "
            f"{held['revision']} already processed; nothing was written"
        )
    if held.get("export_id") == export_id and not same_content:
        raise StaleExport(
            f"{plan.conference}: export_id {export_id} was already processed with other content; "
            "a changed export needs a new export_id and a higher revision; nothing was written"
        )
    if held.get("revision") == plan.revision and not same_content:
        raise StaleExport(
            f"{plan.conference}: revision {plan.revision} was already processed with other "
            "content; a changed export needs a higher revision; nothing was written"
        )


def _remove_unlisted(folder: Path, keep: set[Path]) -> list[Path]:
    """Files of copies that are no longer ready (held, waiting, not sent) must not stay behind."""
    removed = []
    for recipient in (p for p in folder.iterdir() if p.is_dir()):
        for path in recipient.iterdir():
            if path.is_file() and path not in keep:
                path.unlink()
                removed.append(path)
        if not any(recipient.iterdir()):
            recipient.rmdir()
    return removed


def write_outbox(
    outbox: Path,
    plan: DistributionPlan,
    export_id: str,
    export_sha: str,
    rendered: Sequence[RenderedCopy],
) -> OutboxResult:
    """Write the ready copies' files and the manifest, and remove files no copy lists any more."""
    folder = outbox / plan.conference
    _refuse_stale(folder, plan, export_id, export_sha)
    written: list[Path] = []
    unchanged: list[Path] = []
    entries: list[dict[str, Any]] = []
    for item in rendered:
        files = []
        for name, data in item.files:
            path = folder / item.copy.recipient / name
            (written if write_atomically(path, data) else unchanged).append(path)
            files.append({"name": name, "sha256": sha256(data), "bytes": len(data)})
        copy = item.copy
        entries.append(
            {
                "recipient": copy.recipient,
                "document": copy.document,
                "view": copy.view,
                "due": copy.due.isoformat(),
                "status": item.status,
                "reason": item.reason,
                "via": copy.via,
                "channel": copy.channel,
                "on_behalf_of": copy.on_behalf_of,
                "large_print": copy.large_print,
                "files": files,
            }
        )
    manifest = {
        "conference": plan.conference,
        "revision": plan.revision,
        "export_id": export_id,
        "export_sha256": export_sha,
        "stage": plan.stage,
        "profile": plan.profile,
        "copies": entries,
        "not_sent": [n.to_json() for n in plan.not_sent],
    }
    manifest_path = folder / "manifest.json"
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    (written if write_atomically(manifest_path, data) else unchanged).append(manifest_path)
    # After the manifest: a crash before this leaves extra files the manifest does not list,
    # which the next run removes; never a listed file missing.
    removed = _remove_unlisted(folder, {*written, *unchanged} - {manifest_path})
    return OutboxResult(manifest_path, tuple(written), tuple(unchanged), tuple(removed))
