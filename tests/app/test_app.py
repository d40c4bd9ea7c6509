"""The app factory: where settings come from."""

from dpa_manager import create_app


def test_settings_come_from_defaults_instance_environment_then_mapping(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('SECRET_KEY = "from-instance"\nMAIL_PORT = 1111\nMAIL_SERVER = "instance"\n')
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-environment")
    monkeypatch.setenv("MAIL_SERVER", "environment")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app({"MAIL_SERVER": "mapping"})
    assert app.config["SECRET_KEY"] == "from-environment"
    assert app.config["MAIL_PORT"] == 1111
    assert app.config["MAIL_SERVER"] == "mapping"
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_DEFAULT_SENDER"] == "dpa@dpa-manager.localhost"  # a default


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'dpa_manager.sqlite'}"


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:5432/x")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1:5432/x"
