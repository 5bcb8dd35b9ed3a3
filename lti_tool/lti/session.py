"""After the launch: moving around inside the LMS iframe, with or without cookies.

A successful launch stores its LaunchContext under a random launch id in the shared store and
hands the browser a short-lived signed *launch token* naming that id. Every link and form that
Wayfinder renders carries the token (``lt``), renewed on each page, so navigation works when the
browser blocks third-party cookies. Where cookies do work, the session cookie also names the
launch, so a URL without the token still works.

The Flask session follows the launch: with a token it is kept server-side under the launch id
(so CSRF tokens and flashed messages work without cookies); without, it is the signed cookie.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_tool.config import signing_keys
from lti_tool.errors import LaunchError
from lti_tool.extensions import db, store
from lti_tool.lti import registry
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.models import DeploymentStatus
from lti_tool.lti.roles import Role
from lti_tool.tenancy import set_tenant

TOKEN_PARAM = "lt"  # noqa: S105 (a parameter name, not a secret)
TOKEN_HEADER = "X-Wayfinder-Launch"  # noqa: S105


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    # Signed with SECRET_KEY; tokens signed just before it changed still read with a fallback.
    return URLSafeTimedSerializer(signing_keys(app.config), salt="wayfinder-launch-token")


def issue_token(launch_id: str) -> str:
    return _serializer(current_app).dumps(launch_id)


def read_token(app: Flask, token: str) -> str | None:
    try:
        value = _serializer(app).loads(token, max_age=app.config["LAUNCH_TOKEN_SECONDS"])
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def new_launch_id() -> str:
    return secrets.token_urlsafe(24)


def save_launch(ctx: LaunchContext) -> None:
    store.set(
        "launch:" + ctx.launch_id, ctx.to_dict(), current_app.config["LAUNCH_SESSION_SECONDS"]
    )


def load_launch_context(launch_id: str) -> LaunchContext | None:
    data = store.get("launch:" + launch_id)
    return LaunchContext.from_dict(data) if data else None


class LaunchSession(SecureCookieSession):
    """A session kept server-side under a launch id."""

    launch_id: str = ""


class LaunchSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        token = request.headers.get(TOKEN_HEADER) or request.args.get(TOKEN_PARAM)
        if (
            not token
            and request.method == "POST"
            and request.mimetype
            in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            )
        ):
            token = request.form.get(TOKEN_PARAM)
        if token:
            launch_id = read_token(app, token)
            if launch_id:
                just_launched = g.get("just_launched")
                fresh = just_launched is not None and just_launched.launch_id == launch_id
                data = {} if fresh else store.get("session:" + launch_id) or {}
                session = LaunchSession(data)
                session.launch_id = launch_id
                return session
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        if isinstance(session, LaunchSession):
            if session.modified:
                store.set(
                    "session:" + session.launch_id,
                    dict(session),
                    app.config["LAUNCH_SESSION_SECONDS"],
                )
                # Saving the session is the last step of a request: with the database store, this
                # commit is the request boundary for it (the view's own work is committed already).
                db.session.commit()
            return
        super().save_session(app, session, response)


def bind_request_to_launch() -> None:
    """before_request: find the launch behind this request, if any, and scope the DB to it."""
    from flask import session

    g.launch = None
    g.launch_token = None
    if request.endpoint == "static" or (request.blueprint or "") == "lti":
        # The LTI endpoints start launches; an earlier launch in this browser must not leak into
        # them (its token would otherwise be added to the URLs they build).
        return
    launch_id = getattr(session, "launch_id", "") or session.get("launch_id")
    if not launch_id:
        return
    just_launched = g.get("just_launched")
    if just_launched is not None and just_launched.launch_id == launch_id:
        ctx = just_launched
    else:
        ctx = load_launch_context(launch_id)
    if ctx is None:
        return
    reg = registry.registration(ctx.registration_id)
    dep = registry.deployment(ctx.registration_id, ctx.deployment_id)
    if reg is None or not reg.enabled or dep is None or dep.status is not DeploymentStatus.ACTIVE:
        return
    g.launch = ctx
    fresh_token = request.args.get(TOKEN_PARAM) if ctx is just_launched else None
    g.launch_token = fresh_token or issue_token(ctx.launch_id)
    set_tenant(db.session, ctx.registration_id)


def serve_launched_page(url: str, ctx: LaunchContext) -> Response:
    """Answer the launch's POST with the page it leads to, served as a GET of ``url`` (which
    carries the launch token) inside this request, as if the browser had followed a 303: the
    page's view, session, CSRF and headers all see a plain GET. The page then replaces the POST
    in the browser's history with ``url`` (static/launched.js), so refreshing it is a GET of
    that page and never re-posts the LMS's one-time id_token. One request fewer per launch."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    path, _, query = url.partition("?")
    environ = dict(request.environ)
    environ.update(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": "0",
            "wsgi.input": BytesIO(),
        }
    )
    environ.pop("CONTENT_TYPE", None)
    environ.pop("HTTP_ORIGIN", None)
    g.just_launched = ctx
    g.launched_page = url
    with app.request_context(environ):
        response: Response = app.full_dispatch_request()
    response.headers["Content-Location"] = url
    return response


def add_token_to_urls(endpoint: str, values: dict[str, Any]) -> None:
    """url_defaults: every URL Wayfinder builds during a launch carries the launch token."""
    token = g.get("launch_token")
    if token and not endpoint.startswith(("static", "lti.", "dev.")):
        values.setdefault(TOKEN_PARAM, token)


def current_launch() -> LaunchContext:
    ctx = g.get("launch")
    if ctx is None:
        raise LaunchError("launch_required")
    return ctx


def launch_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Views behind a launch; with roles, only for people holding one of them."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            ctx = current_launch()
            if roles and not ctx.has(*roles):
                raise LaunchError("forbidden_role")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    app.session_interface = LaunchSessionInterface()
    app.before_request(bind_request_to_launch)
    app.url_defaults(add_token_to_urls)

    @app.teardown_request
    def _clear_tenant(_exc: BaseException | None) -> None:
        set_tenant(db.session, None)
