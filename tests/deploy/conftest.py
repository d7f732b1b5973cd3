"""Shared by the deployment tests: reading dotenv files the way docker compose does."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

EnvFile = tuple[dict[str, str], dict[str, str]]


def parse_env_file(text: str) -> EnvFile:
    """(set, commented-out) variables of a dotenv file; one pair of single or double quotes is removed."""
    active: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^(#\s*)?([A-Z_][A-Z0-9_]*)=(.*)$", line.strip())
        if not match:
            continue
        value = match.group(3).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        (commented if match.group(1) else active)[match.group(2)] = value
    return active, commented


@pytest.fixture(scope="session")
def parse_env() -> Callable[[str], EnvFile]:
    return parse_env_file
