"""The project installs as a package: a wheel, built from the checkout and installed into a scratch
virtualenv, runs the migrations and serves a page, with nothing read from the checkout."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args, cwd, env=None):
    result = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_wheel_installs_migrates_and_serves(tmp_path):
    # What a fresh clone holds (the files in git), built offline with the dev extra's setuptools.
    source = tmp_path / "source"
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(tmp_path / "dist"),
        str(source),
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("dpa_manager-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "dpa_manager/templates/base.html",
        "dpa_manager/static/app.css",
        "dpa_manager/mail/sender.py",
        "dpa_manager/migrations/env.py",
        "dpa_manager/migrations/versions/0001_initial_schema.py",
        "dpa_manager/translations/fr/LC_MESSAGES/messages.mo",
        "dpa_manager/terms/default_nl.toml",
    ):
        assert expected in names, f"{expected} is not in the wheel"
    # A scratch virtualenv with the wheel alone; the dependencies come from the test's environment (no network).
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip()
    )
    run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--target",
        str(site),
        str(wheel),
        cwd=tmp_path,
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DPA_", "FLASK_"))} | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'installed.sqlite'}",
        "DPA_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "wheel-test-secret",
    }
    where = run(str(python), "-c", "import dpa_manager; print(dpa_manager.__file__)", cwd=tmp_path, env=env)
    assert where.startswith(str(site)), where
    run(str(python), "-m", "flask", "--app", "dpa_manager", "db", "upgrade", cwd=tmp_path, env=env)
    page = run(
        str(python),
        "-c",
        (
            "from dpa_manager import create_app\n"
            "client = create_app().test_client()\n"
            "login = client.get('/login', headers={'Accept-Language': 'nl'})\n"
            "css = client.get('/static/app.css')\n"
            "print(login.status_code, css.status_code, 'Aanmelden' in login.text)\n"
        ),
        cwd=tmp_path,
        env=env,
    )
    assert page.split() == ["200", "200", "True"], page


def same(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_the_compiled_catalogues_in_git_match_their_sources():
    """The .mo files are kept in git, so that `pip install .` from a clone has the translations."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    tracked = run("git", "ls-files", "dpa_manager/translations", cwd=ROOT).split()
    for po in (ROOT / "dpa_manager" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        assert str(mo.relative_to(ROOT)) in tracked, f"{mo} is not in git"
        with po.open("rb") as source, mo.open("rb") as compiled:
            expected = {same(m.id): same(m.string) for m in read_po(source) if m.id and not m.fuzzy}
            found = {same(m.id): same(m.string) for m in read_mo(compiled) if m.id}
        assert found == expected, f"{mo} is stale: run `make install` (it compiles the catalogues) and commit it"
