"""Settings read from the environment refuse malformed values with the variable's name."""

from __future__ import annotations

import pytest

from etl import config


def test_a_full_postgres_build_uses_two_sessions_unless_told(monkeypatch) -> None:
    monkeypatch.delenv("CAMPAIGN_POSTGRES_BUILD_SESSIONS", raising=False)
    assert config.postgres_build_sessions() == 2
    monkeypatch.setenv("CAMPAIGN_POSTGRES_BUILD_SESSIONS", "1")
    assert config.postgres_build_sessions() == 1


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_the_number_of_build_sessions_is_a_whole_number_from_one(monkeypatch, value) -> None:
    monkeypatch.setenv("CAMPAIGN_POSTGRES_BUILD_SESSIONS", value)
    with pytest.raises(config.ConfigError, match="CAMPAIGN_POSTGRES_BUILD_SESSIONS"):
        config.postgres_build_sessions()
