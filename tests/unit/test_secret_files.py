"""Secrets by file (`KEYUAN_<FIELD>_FILE`, Docker secrets and systemd credentials): the file's
content is the setting, nested sections included; both ways at once, a missing or empty file
are refused by name, and no message carries the secret; the database password joins the URL
and is masked wherever the URL is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from keyuan.cli import common
from keyuan.config.secret_files import FILE_VARIABLES, SecretFileError
from keyuan.config.settings import Settings

SECRET = "s3cret-from-a-docker-secret-0042"
ALIYUN = {"PROVIDER": "aliyun", "SIGN_NAME": "客源", "TEMPLATE_CHECK_IN": "SMS_1"}


def settings_command() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def only() -> None:
        common.settings_for(None)

    return app


def secret_file(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_every_secret_setting_reads_from_its_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYUAN_SECRET_KEY_FILE", secret_file(tmp_path, "k", SECRET + "\n"))
    monkeypatch.setenv("KEYUAN_VAULT_KEY_FILE", secret_file(tmp_path, "v", "dmF1bHQ=\r\n"))
    monkeypatch.setenv("KEYUAN_RECEIPT_KEY_FILE", secret_file(tmp_path, "r", "cmVjZWlwdA=="))
    for name, value in ALIYUN.items():
        monkeypatch.setenv(f"KEYUAN_SMS__{name}", value)
    monkeypatch.setenv("KEYUAN_SMS__ACCESS_KEY_ID_FILE", secret_file(tmp_path, "i", "LTAIid\n"))
    monkeypatch.setenv("KEYUAN_SMS__ACCESS_KEY_SECRET_FILE", secret_file(tmp_path, "s", SECRET))

    settings = Settings()

    assert settings.secret_key == SECRET  # trailing line breaks dropped, nothing else
    assert (settings.vault_key, settings.receipt_key) == ("dmF1bHQ=", "cmVjZWlwdA==")
    assert settings.sms.provider == "aliyun"  # the section's other variables still count
    assert settings.sms.access_key_id is not None and settings.sms.access_key_secret is not None
    assert settings.sms.access_key_id.get_secret_value() == "LTAIid"
    assert settings.sms.access_key_secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings.sms)


def test_only_secrets_have_a_file_form_and_paths_stay_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "KEYUAN_TLS__CERT_FILE_FILE" not in FILE_VARIABLES
    monkeypatch.setenv("KEYUAN_TLS__MODE", "files")
    monkeypatch.setenv("KEYUAN_TLS__CERT_FILE", "/etc/keyuan/server.crt")
    monkeypatch.setenv("KEYUAN_TLS__KEY_FILE", "/etc/keyuan/server.key")

    assert Settings().tls.key_file == Path("/etc/keyuan/server.key")


def test_both_ways_at_once_is_refused_without_showing_either(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYUAN_SECRET_KEY", "another-secret-in-the-environment")
    monkeypatch.setenv("KEYUAN_SECRET_KEY_FILE", secret_file(tmp_path, "k", SECRET))

    with pytest.raises(SecretFileError, match="KEYUAN_SECRET_KEY is set as well") as caught:
        Settings()
    assert SECRET not in str(caught.value) and "another-secret" not in str(caught.value)


@pytest.mark.parametrize(("content", "expected"), [
    (None, "KEYUAN_SECRET_KEY_FILE: cannot read .*missing: No such file"),
    ("\n", "KEYUAN_SECRET_KEY_FILE: .* is empty"),
    (b"\xff\xfe", "not UTF-8 text"),
])
def test_a_file_that_cannot_serve_is_named_as_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | bytes | None,
        expected: str) -> None:
    path = tmp_path / "missing"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    monkeypatch.setenv("KEYUAN_SECRET_KEY_FILE", str(path))

    with pytest.raises(SecretFileError, match=expected):
        Settings()
    result = CliRunner().invoke(settings_command(), [])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid_settings: KEYUAN_SECRET_KEY_FILE: ")
    assert "Traceback" not in result.output


def test_the_database_password_joins_the_url_and_is_masked_when_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password = "p@ss:w/rd 42%"
    monkeypatch.setenv("KEYUAN_DATABASE_URL", "postgresql+psycopg://keyuan@db:5432/keyuan")
    monkeypatch.setenv("KEYUAN_DATABASE_PASSWORD_FILE", secret_file(tmp_path, "pw", password))

    settings = Settings()

    url = make_url(settings.resolved_database_url)
    assert (url.username, url.password, url.host, url.database) == (
        "keyuan", password, "db", "keyuan")
    assert settings.shown_database_url == "postgresql+psycopg://keyuan:***@db:5432/keyuan"
    assert password not in repr(settings)


def test_a_password_twice_or_without_a_url_is_refused() -> None:
    with pytest.raises(ValueError, match="database_password is for a database_url"):
        Settings(database_password="pw")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="carries a password"):
        Settings(database_url="postgresql+psycopg://u:pw@h/d",
                 database_password="other")  # type: ignore[arg-type]
    assert Settings(database_url="postgresql+psycopg://u:pw@h/d").shown_database_url == (
        "postgresql+psycopg://u:***@h/d")
