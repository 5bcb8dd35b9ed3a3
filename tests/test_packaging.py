"""An installed Wayfinder (a wheel, no checkout beside it) has everything it serves pages with.

``templates/`` and ``config/`` sit beside ``lti_tool/`` in the repository; the wheel carries them
inside the package (pyproject.toml lists them as ``lti_tool.templates`` and
``lti_tool.config_files``). These tests build the wheel from a copy of the project, unpack it
where no checkout is, and start the app from it in a separate process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("lti_tool", "adapters", "templates", "config")
BUNDLED = {"templates": "lti_tool/templates", "config": "lti_tool/config_files"}


def test_the_package_list_names_every_folder() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        name
        for name in find_namespace_packages(where=str(ROOT), include=["lti_tool*", "adapters*"])
        if "__pycache__" not in name
    }
    for folder, package in BUNDLED.items():
        dotted = package.replace("/", ".")
        found.add(dotted)
        found |= {
            f"{dotted}.{name}"
            for name in find_namespace_packages(where=str(ROOT / folder))
            if "__pycache__" not in name
        }
    assert listed == found, (
        "pyproject.toml's [tool.setuptools] packages must name every folder the wheel ships: "
        f"add {sorted(found - listed)}, remove {sorted(listed - found)}"
    )


def _expected_files() -> set[str]:
    """Where each shipped file of the checkout lands in the wheel."""
    files = set()
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            relative = path.relative_to(ROOT).as_posix()
            if top in BUNDLED:
                relative = BUNDLED[top] + relative[len(top) :]
            if relative.endswith(".po") or (
                top == "config" and path.suffix not in (".toml", ".py")
            ):
                continue  # translators' sources: the compiled .mo is what runs
            files.add(relative)
    return files


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    for name in (*SHIPPED, "pyproject.toml", "README.md"):
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    build = ("wheel", "--quiet", "--no-deps", "--no-build-isolation")
    subprocess.run(  # noqa: S603 (our own interpreter and pip)
        [sys.executable, "-m", "pip", *build, "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("wayfinder-*.whl")
    return wheel


# Run in a separate process from the unpacked wheel, where no checkout is.
SERVE = """
import json, sys
import lti_tool
from flask_babel import force_locale, gettext
from flask_migrate import upgrade

app = lti_tool.create_app()
with app.app_context():
    upgrade()
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    with app.test_request_context(), force_locale("es"):
        spanish = gettext("There is nothing at this address.")
client = app.test_client()
missing = client.get("/nowhere")
jwks = client.get("/lti/jwks")
print(json.dumps({
    "package": lti_tool.__file__,
    "template_folder": app.template_folder,
    "templates": len(names),
    "launch_token_seconds": app.config.get("LAUNCH_TOKEN_SECONDS"),
    "spanish": spanish,
    "missing": [missing.status_code, missing.get_data(as_text=True)],
    "jwks": [jwks.status_code, jwks.get_json()],
}))
"""


def test_an_installed_wheel_serves_pages_without_the_checkout(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
        archive.extractall(tmp_path / "site")
    missing = _expected_files() - shipped
    assert not missing, f"the wheel leaves out {sorted(missing)}"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WAYFINDER_") and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        PYTHONPATH=str(tmp_path / "site"),
        WAYFINDER_SECRET_KEY="an-installed-wayfinder-secret-key-0123456789",
        DATABASE_URL=f"sqlite:///{elsewhere / 'wayfinder.db'}",
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", SERVE],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    site = str(tmp_path / "site")
    assert seen["package"].startswith(site)
    assert seen["template_folder"] == str(tmp_path / "site" / "lti_tool" / "templates")
    assert seen["templates"] == len(list((ROOT / "templates").rglob("*.html")))
    assert seen["launch_token_seconds"], "config/default.toml was not read"
    assert seen["spanish"] == "No hay nada en esta dirección."
    status, page = seen["missing"]
    assert status == 404
    assert "There is nothing at this address." in page
    status, keys = seen["jwks"]
    assert status == 200
    assert keys == {"keys": []}
