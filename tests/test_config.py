"""The service's configuration: one TOML file, environment overrides, and working defaults (issue 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError


def test_with_nothing_configured_every_folder_is_under_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {})
    assert config.folders.inbox == tmp_path / "inbox"
    assert config.quarantine == tmp_path / "quarantine"
    assert config.processed == tmp_path / "processed"
    assert config.store_url() == f"sqlite:///{tmp_path / 'state' / 'cpc.sqlite3'}"
    # Nothing is e-mailed until a mail server is configured.
    assert "email" not in config.channels.model_dump().values()


def test_paths_in_a_file_are_relative_to_that_file(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "cpc.toml"
    path.parent.mkdir()
    path.write_text('[folders]\ninbox = "../drop"\noutbox = "/srv/outbox"\n')
    config = load_config(path, {})
    assert config.folders.inbox == tmp_path / "etc" / ".." / "drop"
    assert config.folders.outbox == Path("/srv/outbox")


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cpc.toml"
    path.write_text(
        '[channels]\nprofessional = "email"\n[smtp]\nhost = "mail.example.org"\nusername = "cpc"\n'
    )
    environ = {
        "CPC_SMTP_HOST": "relay.example.org",
        "CPC_SMTP_PORT": "2525",
        "CPC_WORKERS": "3",
        "CPC_DATABASE_URL": "postgresql://cpc@db/cpc",
        "CPC_SMTP_PASSWORD": "not-in-the-file",
    }
    config = load_config(path, environ)
    assert (config.smtp.host, config.smtp.port) == ("relay.example.org", 2525)
    assert config.rendering.workers == 3
    assert config.store_url() == "postgresql://cpc@db/cpc"
    assert config.smtp_password(environ) == "not-in-the-file"


def test_config_named_by_the_environment_is_used(tmp_path: Path) -> None:
    path = tmp_path / "cpc.toml"
    path.write_text('[folders]\nstate = "var"\n')
    assert load_config(None, {"CPC_CONFIG": str(path)}).folders.state == tmp_path / "var"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # a misspelt key is refused, not ignored
        ('[folders]\ninbx = "x"\n', "folders.inbx"),
        # e-mail chosen with no server to send through
        ('[channels]\nfamily = "email"\n', "smtp.host"),
        # a channel that does not exist
        ('[channels]\nfamily = "pigeon"\n', "channels.family"),
        # a password would cross the network in clear text
        ('[smtp]\nhost = "m"\nusername = "u"\nstarttls = false\n', "starttls"),
        # not TOML at all
        ("folders = [", "not valid TOML"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "cpc.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(path, {})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", {})


def test_the_store_busy_timeout_is_thirty_seconds_unless_set(tmp_path: Path) -> None:
    # How long a command waits for another's write lock before leaving its file for next time.
    assert load_config(None, {}).store_busy_timeout_seconds == 30.0
    config = tmp_path / "cpc.toml"
    config.write_text("store_busy_timeout_seconds = 5\n", encoding="utf-8")
    assert load_config(config, {}).store_busy_timeout_seconds == 5.0
    assert load_config(config, {"CPC_STORE_BUSY_TIMEOUT": "2"}).store_busy_timeout_seconds == 2.0
    config.write_text("store_busy_timeout_seconds = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="store_busy_timeout_seconds"):
        load_config(config, {})
