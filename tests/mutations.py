"""Small edits to an example export, by JSON path, for building broken variants in tests."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

Mutation = Callable[[Any], None]
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    """'people[3].email' → ['people', 3, 'email']."""
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def _parent(data: Any, path: str) -> tuple[Any, str | int]:
    *head, last = _steps(path)
    for step in head:
        data = data[step]
    return data, last


def put(path: str, value: Any) -> Mutation:
    """Set the value at `path` (which must exist, or be a new key of an existing object)."""

    def mutate(data: Any) -> None:
        parent, last = _parent(data, path)
        if isinstance(last, int):
            assert last < len(parent), f"{path} does not exist in the example"
        parent[last] = copy.deepcopy(value)

    return mutate


def drop(path: str) -> Mutation:
    """Remove the field at `path`, which must exist in the example."""

    def mutate(data: Any) -> None:
        parent, last = _parent(data, path)
        exists = last < len(parent) if isinstance(last, int) else last in parent
        assert exists, f"{path} does not exist in the example"
        del parent[last]

    return mutate
