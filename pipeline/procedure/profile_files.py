"""Profile files (the shipped `profiles/*.toml` and an authority's own folders) → every Profile, by name.

The procedure package's only I/O: it reads the TOML files, resolves `extends`, and hands each
merged table to the pure builder (`pipeline.procedure.profile_build`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ProfileError
from pipeline.procedure.profile_build import build_profile, merge_tables
from pipeline.procedure.profile_types import Profile


def _read_toml(path: Path | Any) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc


def _raw_profiles(extra_dirs: Iterable[Path]) -> dict[str, tuple[dict[str, Any], str]]:
    raw: dict[str, tuple[dict[str, Any], str]] = {}
    shipped = resources.files("pipeline.procedure") / "profiles"
    sources: list[Any] = sorted(
        (p for p in shipped.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name
    )
    for folder in extra_dirs:
        if not folder.is_dir():
            raise ProfileError(f"profiles folder {folder} does not exist")
        sources.extend(sorted(folder.glob("*.toml")))
    for path in sources:
        data = _read_toml(path)
        name = data.get("name")
        if name != path.name.removesuffix(".toml"):
            raise ProfileError(
                f"profile {path}: `name` must be {path.name.removesuffix('.toml')!r}"
            )
        raw[name] = (data, str(path))  # a local file may replace a shipped profile of the same name
    return raw


def load_profiles(extra_dirs: Iterable[Path] = ()) -> dict[str, Profile]:
    """Every profile shipped with the package plus those in `extra_dirs`, by name."""
    raw = _raw_profiles(extra_dirs)

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in chain:
            raise ProfileError(f"profile {name}: `extends` goes round in a circle")
        if name not in raw:
            raise ProfileError(f"profile {chain[-1]} extends {name!r}, which does not exist")
        data, _ = raw[name]
        parent = data.get("extends")
        own = {k: v for k, v in data.items() if k != "extends"}
        return merge_tables(resolve(parent, (*chain, name)), own) if parent else own

    return {name: build_profile(resolve(name, ()), origin) for name, (_, origin) in raw.items()}
