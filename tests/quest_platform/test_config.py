"""Configuration: database URLs, environments, and secrets kept out of the code."""

from __future__ import annotations

import pytest

from quest_platform import config
from quest_platform.config import (
    ConfigurationError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
    database_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@db/quest", "postgresql+psycopg://u@db/quest"),
        ("postgresql://u@db/quest", "postgresql+psycopg://u@db/quest"),
        ("postgresql+psycopg://u@db/quest", "postgresql+psycopg://u@db/quest"),
        ("sqlite:////srv/quest.db", "sqlite:////srv/quest.db"),
        (None, "sqlite:///default.db"),
    ],
)
def test_database_urls_use_psycopg_3_for_postgresql(url, expected):
    assert database_url(url, "sqlite:///default.db") == expected


def test_environments_are_chosen_by_name():
    assert config_for("production") is ProductionConfig
    assert config_for("testing") is TestingConfig
    assert config_for("development") is DevelopmentConfig


def test_an_unknown_environment_is_refused_with_the_choices():
    with pytest.raises(ConfigurationError) as refused:
        config_for("staging")
    assert "development, testing, production" in str(refused.value)


def test_development_keeps_random_secrets_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    settings: dict = {"SECRET_KEY": None, "SECURITY_PASSWORD_SALT": ""}
    DevelopmentConfig.prepare(settings)
    assert len(settings["SECRET_KEY"]) >= 32
    assert settings["SECRET_KEY"] != settings["SECURITY_PASSWORD_SALT"]
    key_file = tmp_path / ".secret_key"
    assert key_file.read_text() == settings["SECRET_KEY"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"

    again: dict = {}
    DevelopmentConfig.prepare(again)
    assert again["SECRET_KEY"] == settings["SECRET_KEY"], "sessions survive a restart"


def test_production_names_every_missing_secret():
    settings = {"SECRET_KEY": "k" * 48, "SECURITY_PASSWORD_SALT": None, "DEBUG": False}
    with pytest.raises(ConfigurationError) as refused:
        ProductionConfig.prepare(settings)
    assert "Production needs SECURITY_PASSWORD_SALT set" in str(refused.value)


def test_production_refuses_debug_mode(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    settings = {"SECRET_KEY": "k" * 48, "SECURITY_PASSWORD_SALT": "s" * 48, "DEBUG": True}
    with pytest.raises(ConfigurationError) as refused:
        ProductionConfig.prepare(settings)
    assert "never runs in debug mode" in str(refused.value)


def test_production_cookies_are_secure_and_debug_is_off():
    assert ProductionConfig.SESSION_COOKIE_SECURE
    assert ProductionConfig.DEBUG is False
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_the_test_suite_runs_with_testing_settings(app):
    assert app.config["TESTING"]
    assert not app.debug
    assert app.config["WTF_CSRF_ENABLED"] is not False, "CSRF stays on in the tests"
