"""SMS settings: a provider needs its signature, template and key; the key comes from the
environment or a 0600 file and never shows; production refuses the outbox unless offline."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from keyuan.adapters.sms.credentials import SmsCredentialsError, load_access_key
from keyuan.config.settings import Settings
from keyuan.config.sms import SmsSettings

SECRET = "very-private-access-key-secret-0042"
KEY_ID = "LTAI5tPrivateKeyId"
ALIYUN = {"provider": "aliyun", "sign_name": "客源", "template_check_in": "SMS_1"}


def test_a_provider_needs_its_signature_template_and_key() -> None:
    with pytest.raises(ValidationError, match=r"needs sms\.sign_name, sms\.template_check_in"):
        SmsSettings(provider="aliyun")
    with pytest.raises(ValidationError, match="needs KEYUAN_SMS__ACCESS_KEY_ID"):
        SmsSettings(**ALIYUN)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"needs sms\.app_id"):
        SmsSettings(**{**ALIYUN, "provider": "tencent", "access_key_id": KEY_ID,  # type: ignore[arg-type]
                       "access_key_secret": SECRET})
    with pytest.raises(ValidationError, match="not both"):
        SmsSettings(**ALIYUN, access_key_id=KEY_ID, access_key_secret=SECRET,  # type: ignore[arg-type]
                    credentials_file=Path("/x"))


def test_the_environment_sets_the_provider_and_the_key_never_shows(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name, value in {"PROVIDER": "aliyun", "SIGN_NAME": "客源", "TEMPLATE_CHECK_IN": "SMS_1",
                        "ACCESS_KEY_ID": KEY_ID, "ACCESS_KEY_SECRET": SECRET}.items():
        monkeypatch.setenv(f"KEYUAN_SMS__{name}", value)
    settings = Settings()
    assert settings.sms.provider == "aliyun"
    assert load_access_key(settings.sms).secret == SECRET
    logging.getLogger("keyuan.test").warning("settings: %r %s %s", settings, settings,
                                             settings.sms.model_dump())
    shown = caplog.text + repr(settings) + settings.model_dump_json() + repr(
        load_access_key(settings.sms))
    assert SECRET not in shown and KEY_ID not in shown
    assert "**********" in repr(settings.sms)


def test_the_endpoint_is_https_except_to_loopback() -> None:
    base = {**ALIYUN, "access_key_id": KEY_ID, "access_key_secret": SECRET}
    assert SmsSettings(**base, endpoint="https://dysmsapi.aliyuncs.com/").resolved_endpoint \
        == "https://dysmsapi.aliyuncs.com"  # type: ignore[arg-type]
    assert SmsSettings(**base, endpoint="http://127.0.0.1:9").endpoint == "http://127.0.0.1:9"  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be https"):
        SmsSettings(**base, endpoint="http://sms.example.cn")  # type: ignore[arg-type]


def write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_credentials_file_must_be_0600(tmp_path: Path) -> None:
    text = f"# aliyun\naccess_key_id={KEY_ID}\naccess_key_secret = {SECRET}\n"
    good = write(tmp_path / "sms.key", text, 0o600)
    key = load_access_key(SmsSettings(**ALIYUN, credentials_file=good))  # type: ignore[arg-type]
    assert (key.key_id, key.secret) == (KEY_ID, SECRET)
    for mode in (0o640, 0o604, 0o644):
        loose = write(tmp_path / f"loose-{mode:o}.key", text, mode)
        with pytest.raises(SmsCredentialsError) as refused:
            load_access_key(SmsSettings(**ALIYUN, credentials_file=loose))  # type: ignore[arg-type]
        assert str(refused.value) == f"{loose} is readable by group or others; chmod 600 it"
        assert SECRET not in str(refused.value)


@pytest.mark.parametrize("text", ["access_key_id=a\n", f"secret {SECRET}\n", ""])
def test_a_malformed_credentials_file_is_refused_without_echoing_it(tmp_path: Path,
                                                                    text: str) -> None:
    bad = write(tmp_path / "sms.key", text, 0o600)
    with pytest.raises(SmsCredentialsError) as refused:
        load_access_key(SmsSettings(**ALIYUN, credentials_file=bad))  # type: ignore[arg-type]
    assert SECRET not in str(refused.value) and "\n" not in str(refused.value)


def test_production_refuses_the_outbox_unless_offline_or_demo(tmp_path: Path) -> None:
    prod = {"environment": "production", "secret_key": "a-real-production-secret-0123"}
    with pytest.raises(ValidationError, match="KEYUAN_SMS__OFFLINE"):
        Settings(**prod)  # type: ignore[arg-type]
    assert Settings(**prod, sms=SmsSettings(offline=True)).sms_outbox_unacknowledged is False  # type: ignore[arg-type]
    assert Settings(**prod, demo=True).sms.provider == "outbox"  # type: ignore[arg-type]
    assert Settings(environment="development").sms_outbox_unacknowledged is True


def test_the_provider_setting_picks_the_sender() -> None:
    from keyuan.adapters.clock import SystemClock
    from keyuan.bootstrap import make_sender

    key = {"access_key_id": KEY_ID, "access_key_secret": SECRET}
    chosen = {provider: make_sender(Settings(sms=SmsSettings(  # type: ignore[arg-type]
        **{**ALIYUN, **key, "provider": provider, "app_id": "1400006666"})),
        uow=lambda: None, clock=SystemClock())  # type: ignore[arg-type, return-value]
        for provider in ("aliyun", "tencent")}
    assert {p: (s.provider, s.offline) for p, s in chosen.items()} == {
        "aliyun": ("aliyun", False), "tencent": ("tencent", False)}
    outbox = make_sender(Settings(), uow=lambda: None, clock=SystemClock())  # type: ignore[arg-type, return-value]
    assert (outbox.provider, outbox.offline) == ("outbox", True)
