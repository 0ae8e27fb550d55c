from __future__ import annotations

import pytest

from admin_module.security.passwords import password_problems


def test_strong_password_passes():
    assert password_problems("Correct-Horse-9", username="alice", min_length=12) == []


def test_cyrillic_letters_count_as_lower_and_upper_case():
    assert password_problems("парольДлинный1", username=None, min_length=12) == []


@pytest.mark.parametrize(("password", "fragment"), [
    ("Short-1a", "at least 12"),
    ("alllowercaseletters", "three of"),
    ("ALLUPPER12345678", "three of"),
    ("Alice-Strong-Pass-1", "username"),
    ("P" * 257 + "a1", "at most"),
])
def test_policy_violations(password, fragment):
    problems = password_problems(password, username="alice", min_length=12)
    assert any(fragment in p for p in problems), problems


def test_known_default_is_refused():
    assert any("default" in p for p in password_problems("changeme", username=None,
                                                          min_length=8))
