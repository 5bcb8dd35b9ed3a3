"""Settings: config/default.toml, then the file named by WAYFINDER_CONFIG, then WAYFINDER_* variables.

DATABASE_URL and REDIS_URL are also read without the prefix, as hosting platforms set them.
Test overrides come last (they are passed to create_app). Missing or malformed settings stop
the app at start with a message naming the setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE.parent


def project_folder(name: str) -> Path:
    """A top-level folder of the repository (templates, config), wherever Wayfinder runs from.

    In a checkout it sits beside ``lti_tool/``; an installed wheel carries it inside the package
    (``lti_tool/templates``, ``lti_tool/config_files``: see pyproject.toml).
    """
    bundled = PACKAGE / {"config": "config_files"}.get(name, name)
    return bundled if bundled.is_dir() else PROJECT_ROOT / name


DEFAULTS_FILE = project_folder("config") / "default.toml"
ENV_PREFIX = "WAYFINDER_"
UNPREFIXED = ("DATABASE_URL", "REDIS_URL")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


def _read_toml(
    path: Path, missing: str = "Settings file {} does not exist (named by WAYFINDER_CONFIG)."
) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(missing.format(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Settings file {path} is not valid TOML: {exc}") from exc


def _coerce(name: str, raw: str, default: Any) -> Any:
    """Environment values are strings; give them the type of the default."""
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{ENV_PREFIX}{name} must be true or false, not {raw!r}.")
    if isinstance(default, list):  # comma-separated, e.g. SECRET_KEY_FALLBACKS
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number, not {raw!r}.") from exc
    return raw


def signing_keys(config: Mapping[str, Any]) -> list[str]:
    """SECRET_KEY's earlier values, then SECRET_KEY: what signs and checks launch tokens, forms'
    CSRF tokens and signed references, as Flask's session does.

    itsdangerous signs with the last key and accepts a signature made with any of them, so what
    was signed just before SECRET_KEY changed still reads while the old value is in
    SECRET_KEY_FALLBACKS.
    """
    return [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    settings: dict[str, Any] = _read_toml(
        DEFAULTS_FILE, "Wayfinder's own defaults, {}, are missing: reinstall Wayfinder."
    )
    named = environ.get("WAYFINDER_CONFIG")
    if named:
        settings.update(_read_toml(Path(named)))
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX) and key != "WAYFINDER_CONFIG":
            name = key[len(ENV_PREFIX) :]
            settings[name] = _coerce(name, raw, settings.get(name, ""))
    for name in UNPREFIXED:
        if environ.get(name) and not environ.get(ENV_PREFIX + name):
            settings[name] = environ[name]
    settings.update(overrides or {})
    return settings


def validate(settings: dict[str, Any]) -> None:
    """Fail fast, naming the setting, before anything is served."""
    secret = settings.get("SECRET_KEY") or ""
    if len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY is missing or shorter than 32 characters. Set WAYFINDER_SECRET_KEY or put "
            "SECRET_KEY in the file named by WAYFINDER_CONFIG (see config/production.example.toml)."
        )
    fallbacks = settings.get("SECRET_KEY_FALLBACKS", [])
    if not isinstance(fallbacks, list) or not all(
        isinstance(key, str) and len(key) >= 32 for key in fallbacks
    ):
        raise ConfigError(
            "SECRET_KEY_FALLBACKS must be a list of earlier SECRET_KEY values, each at least 32 "
            'characters (["old key"] in the settings file; comma-separated in '
            "WAYFINDER_SECRET_KEY_FALLBACKS)."
        )
    if settings.get("ENV") not in {"production", "development", "demo"}:
        raise ConfigError("ENV must be production, development or demo.")
    if settings.get("DEV_LAUNCHER") and settings.get("ENV") == "production":
        raise ConfigError("DEV_LAUNCHER plays the LMS and is refused when ENV is production.")
    url = settings.get("DATABASE_URL") or ""
    if url and not url.startswith(("sqlite:", "postgresql")):
        raise ConfigError("DATABASE_URL must be a sqlite:// or postgresql:// URL.")
    if settings.get("DYNAMIC_REGISTRATION", "invite") not in ("invite", "open", "off"):
        raise ConfigError('DYNAMIC_REGISTRATION must be "invite", "open" or "off".')
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(settings.get("COACHING_TIMEZONE") or "UTC"))
    except (ValueError, LookupError) as exc:
        raise ConfigError(
            'COACHING_TIMEZONE must be a time zone name such as "Europe/Madrid".'
        ) from exc
    redis_url = settings.get("REDIS_URL") or ""
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must be a redis://, rediss:// or unix:// URL.")


def database_uri(settings: dict[str, Any], instance_path: str) -> str:
    url: str = settings.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'wayfinder.db'}"
    # psycopg 3 is the PostgreSQL driver; accept the plain URL hosting platforms hand out.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
