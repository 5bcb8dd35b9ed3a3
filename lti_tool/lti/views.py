"""The LTI endpoints, fixed for every platform.

GET|POST /lti/login   OIDC third-party initiated login -> redirect to the platform's auth endpoint
                      (through a page that first puts the state in LTI Platform Storage when the
                      platform offers it)
POST     /lti/launch  the platform posts the id_token -> validate -> record -> answered with the
                      Wayfinder page it leads to, served as a GET of that page's URL carrying the
                      launch token; the page swaps the POST in history for that URL, so
                      refreshing it is a plain GET
GET      /lti/jwks    Wayfinder's public keys: current, next, and retired within the grace period
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.deeplinking.routing import launch_target
from lti_tool.errors import render_problem
from lti_tool.extensions import csrf, db, store
from lti_tool.lti import keys
from lti_tool.lti.context import Claims
from lti_tool.lti.launch import CookiesBlocked, NeedsStorageCheck, WayfinderMessageLaunch
from lti_tool.lti.login import (
    remember_relaunch,
    start_login,
    state_cookie_name,
    storage_key,
    take_relaunch,
)
from lti_tool.lti.services import complete_launch, record_failure
from lti_tool.lti.session import TOKEN_PARAM, issue_token, serve_launched_page

bp = Blueprint("lti", __name__, url_prefix="/lti")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def tool_origin() -> str:
    return request.host_url.rstrip("/")


def _set_state_cookie(response: BaseResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
        path="/lti",
    )


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> Any:
    params: dict[str, str] = dict(request.values.items())
    relaunch = request.args.get("relaunch")
    if relaunch:
        params = take_relaunch(relaunch) or {}
        if not params:
            return render_problem(
                "state_unknown", "the new-window link was already used or expired"
            )
    ttl = current_app.config["LOGIN_STATE_SECONDS"]
    result = start_login(
        params,
        redirect_uri=url_for("lti.launch", _external=True),
        tool_origin=tool_origin(),
        ttl=ttl,
    )
    response: BaseResponse
    if result.storage_target and not relaunch:
        response = Response(
            render_template(
                "lti/storage_put.html",
                auth_url=result.auth_url,
                target=result.storage_target,
                origin=result.registration.auth_origin,
                key=storage_key(result.state),
                value=result.state,
            )
        )
    else:
        response = redirect(result.auth_url, code=302)
    _set_state_cookie(response, state_cookie_name(result.state), result.state, ttl)
    db.session.commit()
    return response


def _post_launch_target(target_link_uri: str) -> str:
    """Send the person to the page the link pointed at, if it is a Wayfinder page."""
    path = urlsplit(target_link_uri).path or "/"
    if path.rstrip("/") in ("", "/lti/launch", "/lti/login"):
        return url_for("home.index")
    adapter = current_app.url_map.bind("", url_scheme="https")
    try:
        endpoint, values = adapter.match(path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return url_for("home.index")
    if endpoint.startswith(("lti.", "dev.", "static")):
        return url_for("home.index")
    return url_for(endpoint, **values)


@bp.get("/launch")
def launch_page_opened_directly() -> Response:
    """A bookmarked or reloaded launch URL: explain instead of answering 405."""
    return render_problem("launch_required", "the launch URL only takes the LMS's POST")


@bp.post("/launch")
@csrf.exempt
def launch() -> Any:
    form = request.form.to_dict()
    storage_checked = bool(form.get("storage_checked")) and (
        request.headers.get("Origin") == tool_origin()
        or request.headers.get("Sec-Fetch-Site") == "same-origin"
    )
    message = WayfinderMessageLaunch(
        form,
        request.cookies.to_dict(),
        storage_checked_same_origin=storage_checked,
        plain_http=not request.is_secure and request.host.split(":")[0] not in LOOPBACK_HOSTS,
        tool_origin=tool_origin(),
        leeway=current_app.config["CLOCK_LEEWAY"],
    )
    try:
        message.validate()
    except NeedsStorageCheck as pending:
        page = render_template(
            "lti/storage_get.html",
            id_token=form.get("id_token", ""),
            state=pending.state,
            target=pending.record["storage_target"],
            origin=pending.record.get("auth_origin", ""),
            key=storage_key(pending.state),
            relaunch_url=_relaunch_url(pending.record),
        )
        db.session.commit()
        return page
    except CookiesBlocked as blocked:
        db.session.rollback()
        record_failure(blocked, stage="lti.launch")
        relaunch_url = _relaunch_url(blocked.record)
        db.session.commit()
        return render_problem(blocked.code, blocked.detail, relaunch_url=relaunch_url)

    assert message.registration_row is not None and message.deployment_row is not None
    claims = Claims.read(message.body)
    # `person` stays referenced so the page served below finds it loaded in the session.
    ctx, person, wrote = complete_launch(
        message.registration_row,
        message.deployment_row,
        claims,
        current_app.config["JOB_ROLE_PARAMETER"],
    )
    if wrote or store.in_database:
        # The launch's records (and, without Redis, its state, nonce and context) are committed
        # before its page is shown; the page reads the person just written, so keep what is
        # loaded instead of reading it back.
        committing = db.session()
        committing.expire_on_commit = False
        try:
            committing.commit()
        finally:
            committing.expire_on_commit = True
    # A repeat launch that wrote nothing to the database keeps its read transaction open for
    # the page: on PostgreSQL that saves a COMMIT and a BEGIN, two round trips of every launch.
    # Where cookies work, the session cookie also names the launch (a URL without the token
    # still works); the launch token in every link and form is what works without cookies.
    session.clear()
    session["launch_id"] = ctx.launch_id
    target = launch_target(claims) or _post_launch_target(claims.target_link_uri)
    separator = "&" if "?" in target else "?"
    response = serve_launched_page(
        f"{target}{separator}{TOKEN_PARAM}={issue_token(ctx.launch_id)}", ctx
    )
    del person
    response.delete_cookie(
        state_cookie_name(form["state"]),
        path="/lti",
        secure=True,
        samesite="None",
        partitioned=True,
    )
    return response


def _relaunch_url(record: dict[str, Any]) -> str:
    relaunch_id = remember_relaunch(
        record.get("login", {}), current_app.config["LOGIN_STATE_SECONDS"]
    )
    return url_for("lti.login", relaunch=relaunch_id, _external=True)


@bp.get("/jwks")
def jwks() -> Response:
    response = jsonify(keys.published_jwks(current_app.config["TOOL_KEY_GRACE_DAYS"]))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
