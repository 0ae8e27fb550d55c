"""Member names of a streamed ZIP: each file's own name, unique within the archive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from query_module.catalog.schemas import FileRead
from query_module.files.archive import member_names


def file(name: str) -> FileRead:
    now = datetime.now(UTC)
    return FileRead.model_construct(file_id=uuid.uuid4(), original_filename=name, created_at=now)


def test_equal_names_are_numbered_case_insensitively():
    names = member_names([file("Отчёт.pdf"), file("отчёт.pdf"), file("отчёт.pdf"), file("a")])
    assert names == ["Отчёт.pdf", "отчёт (2).pdf", "отчёт (3).pdf", "a"]


def test_no_member_name_leaves_the_archive_root():
    names = member_names([file("../../etc/passwd"), file("C:\\dir\\x.txt"), file("/")])
    assert names[0] == "passwd" and names[1] == "x.txt"
    assert "/" not in names[2] and ".." not in names[2]
