from __future__ import annotations

import pytest

from shared.errors import ConfigurationError
from shared.settings import ENV_VARS, PRIVATE_SEALING_ENV_VARS, RunMode, load_settings


def test_dev_defaults_need_nothing() -> None:
    settings = load_settings({})
    assert settings.mode is RunMode.DEV
    assert settings.database_url is None
    assert settings.log_format == "console"
    settings.require_for("web").require_for("worker")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql://u:p@db:5432/app"),
        ("postgresql://u@db/app", "postgresql://u@db/app"),
    ],
)
def test_database_url_accepts_both_schemes(raw: str, expected: str) -> None:
    assert load_settings({"DATABASE_URL": raw}).database_url == expected


def test_database_url_error_does_not_echo_the_password() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL") as excinfo:
        load_settings({"DATABASE_URL": "mysql://u:hunter2@db/app"})
    assert "hunter2" not in str(excinfo.value)


def test_production_names_each_missing_variable() -> None:
    settings = load_settings({"TRADEBRIDGE_ENV": "production"})
    assert settings.log_format == "json"
    with pytest.raises(ConfigurationError) as excinfo:
        settings.require_for("web")
    message = str(excinfo.value)
    for variable in ("DATABASE_URL", "TRADEBRIDGE_ADMIN_TOKEN", "TRADEBRIDGE_SEALING_PUBLIC_KEY"):
        assert variable in message
    with pytest.raises(ConfigurationError, match="TRADEBRIDGE_SEALING_PRIVATE_KEY"):
        settings.require_for("worker")


def test_worker_names_exactly_the_variables_that_are_missing() -> None:
    env = {"TRADEBRIDGE_ENV": "production", "TRADEBRIDGE_SEALING_KEY_ID": "k2026"}
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(env).require_for("worker")
    message = str(excinfo.value)
    assert "DATABASE_URL" in message
    assert "TRADEBRIDGE_SEALING_PRIVATE_KEY" in message
    assert "TRADEBRIDGE_SEALING_KEY_ID" not in message  # it is set


def test_web_refuses_the_private_sealing_key() -> None:
    settings = load_settings({"TRADEBRIDGE_SEALING_PRIVATE_KEY": "x"})
    with pytest.raises(ConfigurationError, match="only the worker"):
        settings.require_for("web")
    settings.require_for("worker")


# Values that look like what the variables hold; none may appear in an error message.
PRIVATE_VALUES = {
    "TRADEBRIDGE_SEALING_PRIVATE_KEY": "cHJpdmF0ZS1rZXktbWF0ZXJpYWwtY3VycmVudA",
    "TRADEBRIDGE_SEALING_RETIRED_PRIVATE_KEYS": "k2025:cmV0aXJlZC1rZXktb25l,k2024:cmV0aXJlZC10d28",
}


@pytest.mark.parametrize("variable", sorted(PRIVATE_VALUES))
@pytest.mark.parametrize("mode", ["dev", "production"])
def test_web_refuses_any_private_sealing_material_naming_it_without_its_value(
    variable: str, mode: str
) -> None:
    env = {
        "TRADEBRIDGE_ENV": mode,
        "DATABASE_URL": "postgresql://db/app",
        "TRADEBRIDGE_ADMIN_TOKEN": "admin",
        "TRADEBRIDGE_SEALING_KEY_ID": "k2026",
        "TRADEBRIDGE_SEALING_PUBLIC_KEY": "public",
        variable: PRIVATE_VALUES[variable],
    }
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(env).require_for("web")
    message = str(excinfo.value)
    assert variable in message
    for secret in PRIVATE_VALUES[variable].replace(",", ":").split(":"):
        assert secret not in message
    # The worker is the process that may hold them.
    load_settings({**env, "TRADEBRIDGE_SEALING_PRIVATE_KEY": "x"}).require_for("worker")


def test_web_names_every_private_sealing_variable_it_was_given_at_once() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(PRIVATE_VALUES).require_for("web")
    message = str(excinfo.value)
    for variable, value in PRIVATE_VALUES.items():
        assert variable in message
        assert value not in message


def test_every_private_variable_is_in_the_set_the_web_refuses() -> None:
    # A new variable carrying private key material must be refused by the web too.
    private = {name for name in ENV_VARS if "PRIVATE" in name or "SECRET" in name}
    assert private == set(PRIVATE_SEALING_ENV_VARS)
    assert set(PRIVATE_SEALING_ENV_VARS) <= set(ENV_VARS)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "0"}, "PORT"),
        ({"TRADEBRIDGE_ENV": "staging"}, "TRADEBRIDGE_ENV"),
        ({"TRADEBRIDGE_LOG_FORMAT": "xml"}, "TRADEBRIDGE_LOG_FORMAT"),
    ],
)
def test_invalid_values_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(env)


def test_lists_are_comma_separated() -> None:
    settings = load_settings(
        {"TRADEBRIDGE_CORS_ALLOW_ORIGINS": "https://a.example, https://b.example"}
    )
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")


def test_job_retention_defaults_to_three_days_and_takes_hours() -> None:
    assert load_settings({}).job_retention_hours == 72
    assert load_settings({"TRADEBRIDGE_JOB_RETENTION_HOURS": "24"}).job_retention_hours == 24
    assert load_settings({"TRADEBRIDGE_JOB_RETENTION_HOURS": "0.5"}).job_retention_hours == 0.5
    # 0 disables pruning.
    assert load_settings({"TRADEBRIDGE_JOB_RETENTION_HOURS": "0"}).job_retention_hours == 0


@pytest.mark.parametrize("raw", ["-1", "three days", "nan", "inf"])
def test_job_retention_refuses_nonsense(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="TRADEBRIDGE_JOB_RETENTION_HOURS"):
        load_settings({"TRADEBRIDGE_JOB_RETENTION_HOURS": raw})
