"""The development launcher: an LMS page that launches Wayfinder in an iframe through the real
OIDC flow, as any person in any role, and answers LTI Platform Storage messages as Canvas does
(or, when told, does not answer them, or does not offer them at all, as Moodle)."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_tool import timezones
from lti_tool.config import signing_keys
from lti_tool.devlauncher import demo
from lti_tool.devlauncher.ags_platform import AgsPlatform, json_object
from lti_tool.devlauncher.demo_grades_paths import placed_path_item
from lti_tool.devlauncher.platform import (
    DeepLinkingResponseInvalid,
    DevPlatform,
    LaunchSpec,
    LaunchUser,
    deep_linking_settings,
)
from lti_tool.extensions import csrf
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.context import AGS as AGS_CLAIM
from lti_tool.lti.context import LAUNCH_PRESENTATION as PRESENTATION_CLAIM
from lti_tool.lti.context import NRPS as NRPS_CLAIM

bp = Blueprint("dev", __name__, url_prefix="/dev")

STORAGE_MODES = {
    "answer": "Offered and answered (like Canvas in a browser)",
    "ignore": "Offered but never answered (like Canvas's mobile apps)",
    "none": "Not offered (like Moodle)",
}
# The launch_presentation locale the LMS sends: the person's language in the LMS.
LANGUAGES = {
    "en": "English (en)",
    "es-419": "Español (es-419, as Canvas sends it; Moodle sends es_mx)",
    "": "Not sent (Wayfinder follows the browser's language)",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _platform() -> DevPlatform | None:
    reg = demo.demo_registration()
    pem = demo.platform_private_pem()
    if reg is None or pem is None:
        return None
    tool = current_app.config["DEV_TOOL_URL"].rstrip("/")
    return DevPlatform(
        issuer=reg.issuer,
        client_id=reg.client_id,
        deployment_id=demo.DEMO_DEPLOYMENT_ID,
        private_pem=pem,
        tool_login_url=tool + "/lti/login",
        tool_launch_url=tool + "/lti/launch",
    )


def _hints() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt="dev-launcher-hint")


@bp.get("/")
def launcher() -> Any:
    lms = current_app.config["DEV_LMS_URL"].rstrip("/")
    if request.host_url.rstrip("/") != lms:
        # Platform Storage messages go to the auth endpoint's origin: the launcher must be there.
        return redirect(lms + request.full_path.rstrip("?"))
    platform = _platform()
    persona = demo.PERSONAS_BY_KEY.get(request.args.get("persona", ""))
    storage = request.args.get("storage", "answer")
    if storage not in STORAGE_MODES:
        storage = "answer"
    language = request.args.get("lang", "en")
    if language not in LANGUAGES:
        language = "en"
    launch_url = None
    install_url = None
    placed = _placed_items().loads_or_none(request.args.get("item", ""))
    deep_link = request.args.get("message") == "deep_link"
    if platform and request.args.get("install"):
        # Dynamic registration, as an LMS admin pasting Wayfinder's address would start it.
        reg = demo.demo_registration()
        assert reg is not None
        query = urlencode(
            {
                "openid_configuration": reg.issuer + "/openid-configuration",
                "registration_token": _registration_tokens().dumps({"client": reg.client_id}),
            }
        )
        install_url = current_app.config["DEV_TOOL_URL"].rstrip("/") + "/lti/register?" + query
    elif platform and persona:
        message: dict[str, Any] = {"persona": persona.key, "lang": language}
        if deep_link:
            message["message"] = "deep_link"
        elif placed:
            message["item"] = placed
        hint = _hints().dumps(message)
        extra = {"lti_storage_target": "_parent"} if storage != "none" else {}
        launch_url = platform.login_initiation_url(
            persona.key, hint, target_link_uri=placed["url"] if placed else None, **extra
        )
    in_course = []
    reg = demo.demo_registration()
    pre_placed = placed_path_item(reg.id, current_app.config["DEV_TOOL_URL"]) if reg else None
    if pre_placed is not None:
        token = _placed_items().dumps(pre_placed)
        in_course.append(
            {
                "item": pre_placed,
                "launches": [
                    (p.name or p.key, url_for("dev.launcher", persona=p.key, item=token))
                    for key in ("ana", "chloe")
                    for p in [demo.PERSONAS_BY_KEY[key]]
                ],
            }
        )
    page = render_template(
        "devlauncher/launcher.html",
        in_course=in_course,
        ready=platform is not None,
        personas=demo.PERSONAS,
        persona=persona,
        storage=storage,
        storage_modes=STORAGE_MODES,
        language=language,
        languages=LANGUAGES,
        launch_url=launch_url,
        install_url=install_url,
        deep_link=deep_link and launch_url is not None,
        placed=placed if launch_url else None,
        deep_linker=demo.PERSONAS_BY_KEY[str(demo.DEMO_DEEP_LINKING["persona"])],
        tool_url=current_app.config["DEV_TOOL_URL"].rstrip("/"),
    )
    response = Response(page)
    tool_origin = _origin(current_app.config["DEV_TOOL_URL"])
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self' {tool_origin}; "
        "form-action 'self'; base-uri 'none'; object-src 'none'"
    )
    return response


@bp.get("/platform/auth")
@csrf.exempt
def platform_auth() -> Any:
    platform = _platform()
    if platform is None:
        abort(404)
    params = request.args.to_dict()
    tool = current_app.config["DEV_TOOL_URL"].rstrip("/")
    if params.get("redirect_uri") != tool + "/lti/launch":
        # Like Moodle: the redirect URI must match the registered one exactly.
        return Response(
            "The redirect_uri is not registered for this tool.", status=400, mimetype="text/plain"
        )
    try:
        hint = _hints().loads(params.get("lti_message_hint", ""), max_age=3600)
    except BadSignature:
        return Response("Unknown lti_message_hint.", status=400, mimetype="text/plain")
    persona = demo.PERSONAS_BY_KEY.get(hint.get("persona", ""))
    if persona is None or params.get("login_hint") != persona.key:
        return Response(
            "The login_hint does not match the launch.", status=400, mimetype="text/plain"
        )
    spec = LaunchSpec(
        user=LaunchUser(persona.key, list(persona.roles), persona.name, persona.email),
        context_id=demo.DEMO_COURSE[0],
        context_title=demo.DEMO_COURSE[1],
        custom={
            key: value
            for key, value in (
                ("job_role", persona.job_role),
                (timezones.PARAMETER, persona.timezone),
            )
            if value
        },
        extra_claims={
            NRPS_CLAIM: {
                "context_memberships_url": demo.demo_roster_url(tool),
                "service_versions": ["2.0"],
            },
            AGS_CLAIM: _roster_platform().ags_claim(demo.DEMO_COURSE[0]),
        },
    )
    if hint.get("lang"):
        spec.extra_claims[PRESENTATION_CLAIM] = {"locale": str(hint["lang"])}
    if hint.get("message") == "deep_link":
        # Like Moodle's "Add an activity": an LtiDeepLinkingRequest, no resource link. Unlike
        # Moodle, it sends data (as Canvas does), to show it coming back unchanged.
        settings = demo.DEMO_DEEP_LINKING
        spec.deep_linking = deep_linking_settings(
            _lms_url() + "/dev/platform/deep-link-return",
            accept_multiple=bool(settings["accept_multiple"]),
            data=_deep_link_data().dumps({"persona": persona.key}),
            title=str(settings["title"]),
            text=str(settings["text"]),
        )
    elif isinstance(hint.get("item"), dict):
        item = hint["item"]
        spec.target_link_uri = item["url"]
        spec.resource_link_id = item["id"]
        spec.resource_link_title = item["title"]
        spec.custom = {**spec.custom, **item["custom"]}
    try:
        action, fields = platform.launch_form(params, spec)
    except Exception as exc:  # lti1p3platform raises bare exceptions on a bad auth request
        return Response(
            f"Bad authentication request: {type(exc).__name__}", status=400, mimetype="text/plain"
        )
    response = Response(render_template("devlauncher/autopost.html", action=action, fields=fields))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'; form-action {_origin(tool)}; base-uri 'none'"
    )
    return response


@bp.get("/platform/jwks")
def platform_jwks() -> Response:
    platform = _platform()
    if platform is None:
        abort(404)
    return jsonify(platform.jwks())


def _lms_url() -> str:
    return str(current_app.config["DEV_LMS_URL"]).rstrip("/")


def _deep_link_data() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt="dev-deep-link-data")


class _Placed:
    """Placed links travel in the launcher's URL, signed (the pretend LMS keeps no database)."""

    def __init__(self) -> None:
        self.serializer = URLSafeTimedSerializer(
            signing_keys(current_app.config), salt="dev-placed-item"
        )

    def dumps(self, item: dict[str, Any]) -> str:
        return str(self.serializer.dumps(item))

    def loads_or_none(self, value: str) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            item = self.serializer.loads(value, max_age=7 * 24 * 3600)
        except BadSignature:
            return None
        return item if isinstance(item, dict) else None


def _placed_items() -> _Placed:
    return _Placed()


@bp.post("/platform/deep-link-return")
@csrf.exempt
def platform_deep_link_return() -> Any:
    """The pretend LMS's deep_link_return_url: it validates Wayfinder's LtiDeepLinkingResponse
    with lti1p3platform (signature against Wayfinder's published keys, claims, content items)
    and shows the activities it would create, each of which can then be launched."""
    platform = _platform()
    if platform is None:
        abort(404)
    form = request.form.to_dict()
    problem, result = "", None
    try:
        sent = jwt.decode(form.get("JWT", ""), options={"verify_signature": False})
        data = sent.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
        if not isinstance(data, str):
            raise DeepLinkingResponseInvalid("the data this LMS sent did not come back")
        _deep_link_data().loads(data, max_age=3600)  # the data this LMS sent, unchanged
        result = platform.deep_linking_response(
            form,
            tool_jwks=tool_keys.published_jwks(current_app.config["TOOL_KEY_GRACE_DAYS"]),
            expected_data=data,
        )
    except (jwt.PyJWTError, BadSignature, TypeError, DeepLinkingResponseInvalid) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    items = []
    placer = _placed_items()
    for index, item in enumerate(result.items if result else [], start=1):
        placed = {
            "id": f"placed-{index}-"
            + hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:12],
            "title": str(item.get("title") or "Wayfinder"),
            "url": str(item.get("url") or ""),
            "custom": {str(k): str(v) for k, v in (item.get("custom") or {}).items()},
        }
        token = placer.dumps(placed)
        column = None
        if isinstance(item.get("lineItem"), dict):
            # As Moodle saving the activity: its line item becomes a gradebook column.
            column = _roster_platform().save_placed_line_item(
                demo.DEMO_COURSE[0], item["lineItem"], str(placed["id"])
            )
        items.append(
            {
                "item": item,
                "column": column,
                "launches": [
                    (p.name or p.key, url_for("dev.launcher", persona=p.key, item=token))
                    for p in sorted(demo.PERSONAS, key=lambda p: p.key != "chloe")
                    if p.key in ("chloe", "ana")
                ],
            }
        )
    page = render_template(
        "devlauncher/deep_link_return.html",
        problem=problem,
        result=result,
        items=items,
        course=demo.DEMO_COURSE[1],
        gradebook_url=current_app.config["DEV_TOOL_URL"].rstrip("/") + "/dev/platform/gradebook",
    )
    response = Response(page, status=400 if problem else 200)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )
    return response


def _registration_tokens() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt="dev-registration-token")


@bp.get("/platform/openid-configuration")
def platform_openid_configuration() -> Any:
    """The pretend LMS's OpenID configuration for LTI Dynamic Registration."""
    reg = demo.demo_registration()
    if reg is None:
        abort(404)
    return jsonify(
        {
            "issuer": reg.issuer,
            "authorization_endpoint": reg.auth_login_url,
            "token_endpoint": reg.auth_token_url,
            "jwks_uri": reg.key_set_url,
            "registration_endpoint": reg.issuer + "/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "response_types_supported": ["id_token"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "wayfinder-dev-launcher",
                "version": "1",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
                ],
            },
        }
    )


@bp.post("/platform/register")
@csrf.exempt
def platform_register() -> Any:
    """Grants what Wayfinder asks for, under a new client ID each time (as Moodle does), so the
    demo registration the personas launch through is left as it was."""
    reg = demo.demo_registration()
    if reg is None:
        abort(404)
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    try:
        _registration_tokens().loads(token, max_age=3600)
    except BadSignature:
        return jsonify({"error": "invalid_token"}), 401
    body = json_object()
    tool = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration")
    tool = dict(tool) if isinstance(tool, dict) else {}
    tool["deployment_id"] = "demo-dynamic-deployment"
    return jsonify(
        {
            **body,
            "client_id": f"{reg.client_id}-dynamic-{secrets.token_hex(3)}",
            "https://purl.imsglobal.org/spec/lti-tool-configuration": tool,
        }
    )


def _roster_platform() -> AgsPlatform:
    """The pretend LMS's services (token, NRPS, AGS). One per process: its gradebook (line
    items and scores) lives in memory, like a real LMS's database, until the launcher stops."""
    reg = demo.demo_registration()
    if reg is None or not reg.auth_token_url:
        abort(404)
    token_url = reg.auth_token_url
    key = (reg.client_id, token_url)
    platform = current_app.extensions.get("dev_lms_services")
    if platform is None or platform.identity != key:
        grace = current_app.config["TOOL_KEY_GRACE_DAYS"]
        platform = AgsPlatform(
            client_id=reg.client_id,
            token_url=lambda: token_url,
            tool_jwks=lambda: tool_keys.published_jwks(grace),
            members_for=demo.demo_roster,
            secret=str(current_app.secret_key),
        )
        platform.identity = key
        platform.base_url = token_url.rsplit("/token", 1)[0]
        current_app.extensions["dev_lms_services"] = platform
    return platform


@bp.post("/platform/token")
@csrf.exempt
def platform_token() -> Response:
    """The pretend LMS's OAuth2 token endpoint (client_credentials, private_key_jwt)."""
    return _roster_platform().token()


@bp.get("/platform/nrps/<context_id>")
def platform_memberships(context_id: str) -> Response:
    """The pretend LMS's NRPS memberships endpoint for the demo course."""
    return _roster_platform().memberships(context_id)


@bp.route("/platform/ags/<context_id>/lineitems", methods=["GET", "POST"])
@csrf.exempt
def platform_lineitems(context_id: str) -> Response:
    """The pretend LMS's AGS line items container (Moodle-shaped URLs with ?type_id=)."""
    return _roster_platform().lineitems(context_id)


@bp.post("/platform/ags/<context_id>/lineitems/<int:number>/lineitem/scores")
@csrf.exempt
def platform_scores(context_id: str, number: int) -> Response:
    """The pretend LMS's AGS scores endpoint (409 for a timestamp not later than the stored)."""
    return _roster_platform().score(context_id, number)


@bp.get("/platform/gradebook")
def platform_gradebook() -> Response:
    """The pretend LMS's gradebook: every column (line item) and each person's latest score,
    as a page for people and as JSON for programs."""
    book = _roster_platform().gradebook()
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        return book
    names = {p.key: p.name or p.key for p in demo.PERSONAS}
    page = render_template(
        "devlauncher/gradebook.html",
        columns=book.get_json(),
        names=names,
        course=demo.DEMO_COURSE[1],
        launcher=_lms_url() + "/dev/",
    )
    response = Response(page)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )
    return response
