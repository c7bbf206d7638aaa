"""The [notify] section: the key from the environment only, Notify's own URL unless another is named, a template where professionals are reached by Notify."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cpc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_key_is_read_from_the_variable_the_file_names_and_never_from_the_file(
    tmp_path: Path,
) -> None:
    path = config_file(
        tmp_path, '[channels]\nfamily = "notify"\n[notify]\napi_key_env = "COUNCIL_NOTIFY_KEY"\n'
    )
    config = load_config(path, {"COUNCIL_NOTIFY_KEY": "k-1", "CPC_NOTIFY_API_KEY": "k-2"})
    assert config.uses_notify and config.notify_api_key({"COUNCIL_NOTIFY_KEY": "k-1"}) == "k-1"
    assert config.notify.base_url == "https://api.notifications.service.gov.uk"
    with pytest.raises(ConfigError, match="api_key"):
        load_config(config_file(tmp_path, '[notify]\napi_key = "secret-in-a-file"\n'), {})


def test_professionals_by_notify_need_the_email_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="email_template_id"):
        load_config(config_file(tmp_path, '[channels]\nprofessional = "notify"\n'), {})


def test_postage_is_first_or_second(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="postage"):
        load_config(config_file(tmp_path, '[notify]\npostage = "economy"\n'), {})
