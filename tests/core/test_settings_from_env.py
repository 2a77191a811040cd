from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from backend.env import EnvError, database_from_url, decode_key, env_bool, env_int, env_secret

ROOT = Path(__file__).resolve().parents[2]


def test_integers_and_booleans_are_parsed_or_refused(monkeypatch):
    monkeypatch.setenv("ANBANG_X_INT", "42")
    assert env_int("X_INT", 1) == 42
    monkeypatch.setenv("ANBANG_X_INT", "forty")
    with pytest.raises(EnvError, match="ANBANG_X_INT 应为整数"):
        env_int("X_INT", 1)
    monkeypatch.setenv("ANBANG_X_INT", "0")
    with pytest.raises(EnvError, match="不能小于 1"):
        env_int("X_INT", 1, minimum=1)
    monkeypatch.setenv("ANBANG_X_BOOL", "yes")
    assert env_bool("X_BOOL", False) is True
    monkeypatch.setenv("ANBANG_X_BOOL", "maybe")
    with pytest.raises(EnvError, match="ANBANG_X_BOOL 应为 true/false"):
        env_bool("X_BOOL", False)


def test_a_secret_comes_from_the_variable_or_its_file_but_not_both(monkeypatch, tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("ANBANG_X_SECRET_FILE", str(secret_file))
    assert env_secret("X_SECRET") == "from-file"
    monkeypatch.setenv("ANBANG_X_SECRET", "direct")
    with pytest.raises(EnvError, match="只能设置其一"):
        env_secret("X_SECRET")
    monkeypatch.delenv("ANBANG_X_SECRET")
    monkeypatch.setenv("ANBANG_X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(EnvError, match="无法读取"):
        env_secret("X_SECRET")


def test_keys_are_accepted_as_hex_or_base64_and_must_be_256_bits():
    assert decode_key("K", "00" * 32) == bytes(32)
    assert decode_key("K", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") == bytes(32)
    with pytest.raises(EnvError, match="ANBANG_K 必须是 32 字节密钥"):
        decode_key("K", "c2hvcnQ=")


def test_database_url_picks_sqlite_or_postgres():
    sqlite = database_from_url(
        "sqlite:////var/lib/anbang/db.sqlite3", sqlite_options={"a": 1}, conn_max_age=45
    )
    assert sqlite["ENGINE"].endswith("sqlite3") and sqlite["NAME"] == "/var/lib/anbang/db.sqlite3"
    assert sqlite["CONN_MAX_AGE"] == 45  # kept open: a new connection per request starts with a cold cache
    pg = database_from_url("postgres://u:p%40ss@db.internal:5433/anbang", sqlite_options={}, conn_max_age=60)
    assert (pg["ENGINE"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "django.db.backends.postgresql", "u", "p@ss", "db.internal", "5433", "anbang",
    )  # fmt: skip
    with pytest.raises(EnvError, match="只支持"):
        database_from_url("mysql://x/y", sqlite_options={}, conn_max_age=0)
    with pytest.raises(EnvError, match="缺少数据库名"):
        database_from_url("postgres://u@h:5432/", sqlite_options={}, conn_max_age=0)


def run_settings(env_overrides: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings"}
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    code = "import django; django.setup(); print('ok')"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_process_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_settings({"ANBANG_SECRET_KEY": None, "ANBANG_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "缺少 ANBANG_SECRET_KEY" in result.stderr


def test_the_process_refuses_to_start_without_a_master_key(tmp_path):
    result = run_settings({"ANBANG_MASTER_KEY": None, "ANBANG_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "缺少密钥 ANBANG_MASTER_KEY" in result.stderr


def test_a_bad_value_stops_the_process_with_its_name(tmp_path):
    result = run_settings({"ANBANG_SESSION_IDLE_MINUTES": "half an hour", "ANBANG_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ANBANG_SESSION_IDLE_MINUTES 应为整数" in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_full_sync_and_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas apply to the SQLite run only")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cursor.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_time_zone_and_language_are_chinese(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
