"""Wayfinder: an LTI 1.3 tool that grows a culture of learning in contact centers."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lti_tool import config as settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app. No side effects: no tables, keys or network calls (those are CLI commands)."""
    templates = settings.project_folder("templates")
    app = Flask(__name__, template_folder=str(templates), instance_relative_config=True)
    load_config(app, overrides)
    init_input(app)
    init_extensions(app)
    init_i18n(app)
    init_security(app)
    init_errors(app)
    register_blueprints(app)
    register_cli(app)
    return app


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    values = settings.load_settings(overrides=overrides)
    settings.validate(values)
    app.config.update(values)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_uri(values, app.instance_path)
    # Recycle instead of pinging: a ping costs a database round trip on every request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_recycle": 1800})
    app.config.update(
        SESSION_COOKIE_NAME="wayfinder_session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="None",
        SESSION_COOKIE_PARTITIONED=True,
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        # Forms filled in while SECRET_KEY changed still submit (the old value as a fallback).
        WTF_CSRF_SECRET_KEY=settings.signing_keys(values),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )


def init_input(app: Flask) -> None:
    from lti_tool import request_input

    request_input.init_app(app)


def init_extensions(app: Flask) -> None:
    from pathlib import Path

    from lti_tool.extensions import (
        csrf,
        db,
        end_reads_with_commit,
        enforce_foreign_keys,
        migrate,
        store,
    )

    db.init_app(app)
    enforce_foreign_keys(app)
    end_reads_with_commit(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    store.init_app(app)
    # Import every model so metadata and migrations see them.
    from lti_tool import models  # noqa: F401


def init_i18n(app: Flask) -> None:
    from lti_tool import i18n, timezones

    i18n.init_app(app)
    timezones.init_app(app)


def init_security(app: Flask) -> None:
    from lti_tool import security
    from lti_tool.lti import session

    security.init_app(app)
    session.init_app(app)


def init_errors(app: Flask) -> None:
    from lti_tool import errors

    errors.init_app(app)


def register_blueprints(app: Flask) -> None:
    from lti_tool.admin.views import bp as admin_bp
    from lti_tool.catalog import content as catalog_content
    from lti_tool.catalog.views import bp as catalog_bp
    from lti_tool.coaching.views import bp as coaching_bp
    from lti_tool.coaching.views import peers_bp
    from lti_tool.community import content as community_content
    from lti_tool.community.views import bp as community_bp
    from lti_tool.deeplinking import content
    from lti_tool.deeplinking.views import bp as deeplinking_bp
    from lti_tool.feedback.views import bp as feedback_bp
    from lti_tool.grades.views import bp as grades_bp
    from lti_tool.home.views import bp as home_bp
    from lti_tool.insights.views import bp as insights_bp
    from lti_tool.install.views import bp as install_bp
    from lti_tool.leaders.views import bp as leaders_bp
    from lti_tool.lti.views import bp as lti_bp
    from lti_tool.paths import content as paths_content
    from lti_tool.paths import services as paths_services
    from lti_tool.paths.personal_views import bp as personal_bp
    from lti_tool.paths.views import bp as paths_bp
    from lti_tool.recognition import services as recognition_services
    from lti_tool.recognition.views import bp as recognition_bp
    from lti_tool.roles.views import bp as roles_bp
    from lti_tool.roster.views import bp as roster_bp
    from lti_tool.skill_uses import register as register_skill_uses
    from lti_tool.voice import services as voice_services
    from lti_tool.voice.views import bp as voice_bp

    app.register_blueprint(lti_bp)
    app.register_blueprint(install_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(roles_bp)
    app.register_blueprint(deeplinking_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(grades_bp)
    app.register_blueprint(paths_bp)
    app.register_blueprint(personal_bp)
    app.register_blueprint(coaching_bp)
    app.register_blueprint(peers_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(recognition_bp)
    app.register_blueprint(voice_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(leaders_bp)
    paths_services.register_hooks()  # assignment follows job-role changes
    recognition_services.register_hooks()  # badges on path completion and verified tips
    voice_services.register_notifications()  # answers to training suggestions
    register_skill_uses()  # what a skill's deletion changes, for its confirmation page
    content.init_app(app)  # features register what instructors can place in a course
    community_content.init_app(app)
    paths_content.init_app(app)  # learning paths: provider and /paths/placed/<item>
    app.register_blueprint(catalog_bp)
    catalog_content.init_app(app)
    if app.config["DEV_LAUNCHER"]:
        from lti_tool.devlauncher.views import bp as dev_bp

        app.register_blueprint(dev_bp)


def register_cli(app: Flask) -> None:
    from lti_tool import cli

    cli.init_app(app)
