"""The README's configuration table against the settings of every process, so neither drifts;
and a bad value is refused with an error that names its variable."""

from __future__ import annotations

import importlib.util
import inspect
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from analytics.settings import VARIABLES as ANALYTICS_VARIABLES
from bot.production import is_production
from bot.serve import ServerSettings
from bot.settings import VARIABLES as BOT_VARIABLES
from bot.settings import ChannelKeys, ZaloSettings, redis_url, trusted_proxies
from dossiers.http_backend import HttpConfig
from dossiers.identity import pepper
from dossiers.settings import DEV_PEPPER, DossierSettings, get_settings
from handoff.settings import VARIABLES as HANDOFF_VARIABLES
from web.settings import Settings as WebSettings

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = [REPO / "scripts" / "defaults.sh", *sorted((REPO / "scripts").glob("run-*"))]


def settings_classes() -> list[type[BaseSettings]]:
    classes: list[type[BaseSettings]] = [WebSettings, DossierSettings]
    if importlib.util.find_spec("knowledge.settings"):  # the knowledge engine's, once it has them
        module = importlib.import_module("knowledge.settings")
        classes += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, BaseSettings) and c.__module__ == module.__name__
        ]
    return classes


def shown(default: object) -> str | None:
    """How the table writes a default; None when there is none to quote (described in words)."""
    if default is None or default in ("", ()):
        return None
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{str(default).replace(f'{REPO}/', '')}`"  # paths under the repository, relative to it


def settings_variables() -> Iterator[tuple[str, str | None, bool]]:
    """(variable, shown default, primary): a fallback variable (RASA_URL for RASA_PUBLIC_URL) is not primary."""
    for cls in settings_classes():
        config = cls.model_config
        for name, field in cls.model_fields.items():
            alias = field.validation_alias or field.alias
            if isinstance(alias, AliasChoices):
                names = [choice for choice in alias.choices if isinstance(choice, str)]
            else:
                names = [alias if isinstance(alias, str) else config.get("env_prefix", "") + name]
            names = names if config.get("case_sensitive") else [n.upper() for n in names]
            default = None if field.is_required() else field.get_default(call_default_factory=True)
            for position, variable in enumerate(names):
                yield variable, shown(default), position == 0
    for variable, default in {**BOT_VARIABLES, **HANDOFF_VARIABLES, **ANALYTICS_VARIABLES}.items():
        yield variable, shown(default), True


def readme_table() -> dict[str, str]:
    """variable -> its row's default cell, from the README's Configuration section."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    table: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            names, default, _what = (cell.strip() for cell in line.strip().strip("|").split("|", 2))
            for variable in re.findall(r"`([A-Z][A-Z0-9_]*)`", names):
                assert variable not in table, f"{variable} has two rows"
                table[variable] = default
    assert table, "no configuration table in the README"
    return table


def script_variables() -> set[str]:
    """What the run scripts export (ports, derived URLs, TRACKER_DB...): documented, read by no settings class."""
    found: set[str] = set()
    for script in SCRIPTS:
        for line in re.findall(r"^\s*export\s+(.*)$", script.read_text(encoding="utf-8"), flags=re.M):
            found.update(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", line))
    return found


def test_every_setting_has_a_row_with_its_default() -> None:
    table = readme_table()
    for variable, default, primary in settings_variables():
        assert variable in table, f"README's configuration table has no row for {variable}"
        if primary:
            assert table[variable], f"README gives no default for {variable}"
            if default is not None:
                assert default in table[variable], (
                    f"README gives {table[variable]!r} as {variable}'s default, the settings {default}"
                )


def test_every_row_is_a_setting_or_a_script_variable() -> None:
    known = {variable for variable, _, _ in settings_variables()} | script_variables()
    if not importlib.util.find_spec("knowledge.settings"):  # until the knowledge engine has its settings
        known |= {v for v in readme_table() if v.startswith(("KNOWLEDGE_", "EMBEDDING_"))}
    assert sorted(set(readme_table()) - known) == []


class Recording(dict[str, str]):
    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


def test_the_rasa_process_reads_only_the_variables_it_lists() -> None:
    env = Recording({"RASA_TOKEN": "t", "REDIS_HOST": "redis"})
    ServerSettings.from_env(env)
    ChannelKeys.from_env(env)
    ZaloSettings.from_env(env)
    redis_url(env), trusted_proxies(env), is_production(env)
    # Rasa itself reads the production tracker store's URL, from deploy/endpoints.production.yml
    assert env.read == set(BOT_VARIABLES) - {"TRACKER_DATABASE_URL"}


# --------------------------------------------------------------------------- bad values


BAD_WEB = [
    ("WEB_SECURE_COOKIES", "maybe"),
    ("WEB_PORT", "abc"),
    ("WEB_PUBLIC_URL", "ftp://x"),
    ("WEB_TRUSTED_PROXIES", "*"),
]
BAD_DOSSIERS = [
    ("DOSSIER_API_TIMEOUT", "abc"),
    ("DOSSIER_API_TIMEOUT", "0"),
    ("DOSSIER_API_RETRIES", "-1"),
    ("DOSSIER_API_URL", "api.example"),
]


@pytest.mark.parametrize(("variable", "bad"), BAD_WEB)
def test_a_bad_web_value_names_its_variable(variable: str, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=variable):
        WebSettings.from_env({"WEB_SECRET_KEY": "k", variable: bad})
    monkeypatch.setenv("WEB_SECRET_KEY", "k")
    monkeypatch.setenv(variable, bad)
    with pytest.raises(ValueError, match=variable):
        WebSettings.from_env()


@pytest.mark.parametrize(("variable", "bad"), BAD_DOSSIERS)
def test_a_bad_dossier_value_names_its_variable(variable: str, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, bad)
    with pytest.raises(ValueError, match=variable) as error:
        get_settings()
    assert "input_value" not in str(error.value)  # values may be secrets (token, pepper): never in the message


@pytest.mark.parametrize(
    "env", [{"RASA_TOKEN": "t", "RASA_PORT": "abc"}, {"RASA_TOKEN": "t", "RASA_PORT": "0"}, {"RASA_PORT": "5005"}]
)
def test_a_bad_rasa_value_names_its_variable(env: dict[str, str]) -> None:
    with pytest.raises(SystemExit, match="RASA_PORT" if "RASA_TOKEN" in env else "RASA_TOKEN"):
        ServerSettings.from_env(env)


# --------------------------------------------------------------------------- read once


def test_the_environment_and_a_mapping_give_the_same_web_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "WEB_SECRET_KEY": "k",
        "RASA_PUBLIC_URL": "",
        "RASA_URL": "http://rasa.example/",
        "WEB_PORT": "8123",
        "WEB_SECURE_COOKIES": " Yes ",
        "WEB_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16",
        "DATABASE_URL": "sqlite://",
    }
    for variable, _, _ in settings_variables():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    settings = WebSettings.from_env(env)
    assert settings == WebSettings.from_env()
    assert settings.rasa_public_url == "http://rasa.example" and settings.public_url == "http://127.0.0.1:8123"
    assert settings.secure_cookies and settings.trusted_proxies == ("10.0.0.1", "10.1.0.0/16")
    assert settings.database_url == "sqlite://"
    assert "secret_key" not in repr(settings)


def test_dossier_settings_are_read_once(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("DOSSIER_PEPPER", raising=False)
    monkeypatch.setenv("DOSSIER_API_URL", "https://api.example/v1/")
    monkeypatch.setenv("DOSSIER_API_TIMEOUT", "1.5")
    with caplog.at_level(logging.WARNING, logger="dossiers.settings"):
        assert pepper() == pepper() == DEV_PEPPER.encode()
    assert [r.message for r in caplog.records] == ["DOSSIER_PEPPER is not set: using the development pepper"]
    assert HttpConfig.from_env() == HttpConfig("https://api.example/v1", "", 1.5, 2)

    monkeypatch.setenv("DOSSIER_PEPPER", "p" * 32)
    assert pepper() == DEV_PEPPER.encode()  # read once: a running server keeps its pepper
    get_settings.cache_clear()
    assert pepper() == b"p" * 32
    assert HttpConfig.from_env(DossierSettings(api_url="http://other.example", api_retries=0)).retries == 0
