"""Finding which storage element holds a file.

The admin module keeps no file registry (the query catalog is the search index, rebuildable
from the SEs), so a file is found by asking the storage elements themselves: every registered
SE of the given modes is asked ``GET /api/v1/files/{id}`` concurrently, under its breaker.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from admin_module.models.storage_element import StorageElement
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.contracts import FileAttributes


@dataclass
class Located:
    found: list[tuple[StorageElement, FileAttributes]] = field(default_factory=list)
    unreachable: list[StorageElement] = field(default_factory=list)


async def locate(
    plane: ControlPlane, elements: Sequence[StorageElement], file_id: uuid.UUID
) -> Located:
    async def ask(se: StorageElement) -> FileAttributes | None | Exception:
        try:
            return await plane.client.get_file(se, file_id)
        except UNREACHABLE as exc:
            return exc

    answers = await asyncio.gather(*(ask(se) for se in elements))
    result = Located()
    for se, answer in zip(elements, answers, strict=True):
        if isinstance(answer, Exception):
            result.unreachable.append(se)
        elif answer is not None:
            result.found.append((se, answer))
    return result


async def delete_everywhere(
    plane: ControlPlane, elements: Sequence[StorageElement], file_id: uuid.UUID
) -> tuple[list[StorageElement], list[StorageElement]]:
    """Delete every copy of a file on these SEs: (SEs it was deleted on, SEs that did not
    answer). Deleting is idempotent, so a re-run after a crash finishes the job."""
    async def remove(se: StorageElement) -> bool | Exception:
        try:
            return await plane.client.delete_file(se, file_id)
        except UNREACHABLE as exc:
            return exc

    answers = await asyncio.gather(*(remove(se) for se in elements))
    deleted = [se for se, a in zip(elements, answers, strict=True) if a is True]
    unreachable = [se for se, a in zip(elements, answers, strict=True)
                   if isinstance(a, Exception)]
    return deleted, unreachable
