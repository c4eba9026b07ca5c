"""Settings: FITROOM_* variables, validated with a one-line error."""

from __future__ import annotations

import pytest

from fitroom.service.settings import SettingsError, load_settings


def test_defaults_and_env_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("FITROOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FITROOM_MAX_UPLOAD_BYTES", "1234")
    s = load_settings()
    assert s.data_dir == tmp_path and s.max_upload_bytes == 1234
    assert s.db_url == f"sqlite:///{tmp_path.resolve() / 'fitroom.db'}"
    assert s.redis_url is None and s.workers == 2
    assert s.engine == "learned" and s.public_url is None


def test_postgres_url_is_normalised(monkeypatch):
    monkeypatch.setenv("FITROOM_DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().db_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("name,value,needle", [
    ("FITROOM_MAX_UPLOAD_BYTES", "0", "FITROOM_MAX_UPLOAD_BYTES"),
    ("FITROOM_MAX_UPLOAD_PIXELS", "lots", "FITROOM_MAX_UPLOAD_PIXELS"),
    ("FITROOM_DATABASE_URL", "mysql://x", "sqlite:/// or postgresql"),
    ("FITROOM_REDIS_URL", "http://x", "redis://"),
    ("FITROOM_SECRET_KEY", "short", "FITROOM_SECRET_KEY"),
    ("FITROOM_PAGE_SIZE_DEFAULT", "500", "page_size_default"),
    ("FITROOM_QUEUE_MAX_LENGTH", "-1", "FITROOM_QUEUE_MAX_LENGTH"),
    ("FITROOM_ENGINE", "diffusion", "FITROOM_ENGINE"),
    ("FITROOM_RUNTIME", "tensorrt", "FITROOM_RUNTIME"),
    ("FITROOM_PUBLIC_URL", "shop.example.com", "http:// or https://"),
])
def test_bad_values_are_one_line_errors(monkeypatch, name, value, needle):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as e:
        load_settings()
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("invalid setting") and needle in msg


def test_secret_key_is_generated_once_per_data_dir(tmp_path):
    s = load_settings(data_dir=tmp_path)
    k1 = s.signing_key()
    assert len(k1) >= 32 and load_settings(data_dir=tmp_path).signing_key() == k1
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert load_settings(data_dir=tmp_path, secret_key="x" * 40).signing_key() == b"x" * 40


def test_engine_and_public_url(monkeypatch):
    monkeypatch.setenv("FITROOM_ENGINE", "classical")
    monkeypatch.setenv("FITROOM_PUBLIC_URL", "https://shop.example.com/")
    s = load_settings()
    assert s.engine == "classical" and s.public_url == "https://shop.example.com"
    description = type(s).model_fields["engine"].description
    assert description.startswith("Try-on engine: learned (the default")


def test_weights_setting_names_a_set_or_a_folder(tmp_path):
    from fitroom.service.settings import load_settings

    assert load_settings(data_dir=tmp_path).weights == "real"
    assert load_settings(data_dir=tmp_path, weights="synthetic").weights == "synthetic"
    with pytest.raises(Exception, match="weights"):
        load_settings(data_dir=tmp_path, weights="no-such-weights")


def test_the_runtime_setting_reaches_the_engine(monkeypatch, tmp_path):
    from fitroom.service.engine import get_engine

    monkeypatch.setenv("FITROOM_RUNTIME", "onnx")
    monkeypatch.setenv("FITROOM_CACHE_DIR", str(tmp_path))
    s = load_settings()
    assert s.runtime == "onnx"
    eng = get_engine(engine="learned", weights=s.weights, runtime=s.runtime)
    assert eng.runtime == "onnx" and eng.pipe._learned.runtime == "onnx"
    assert get_engine(engine="learned", weights=s.weights, runtime="torch").pipe._learned.runtime == "torch"
