"""The pretend LMS for the launch benchmark, run in its own process so it does not share the
load generator's interpreter: an OIDC auth endpoint that signs id_tokens for any registered tool,
and a JWKS endpoint that counts how often it is fetched.

    python bench/platform_server.py PORT CLIENT_ID=TOOL_URL [CLIENT_ID=TOOL_URL ...]
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lti_tool.devlauncher.platform import (
    DevPlatform,
    LaunchSpec,
    LaunchUser,
    generate_private_pem,
)

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
DEPLOYMENT = "bench-deployment"


def build(port: int, tools: dict[str, str]) -> Flask:
    issuer = f"http://127.0.0.1:{port}"
    pem = generate_private_pem()
    platforms = {
        client: DevPlatform(
            issuer=issuer,
            client_id=client,
            deployment_id=DEPLOYMENT,
            private_pem=pem,
            tool_login_url=url + "/login",
            tool_launch_url=url + "/launch",
        )
        for client, url in tools.items()
    }
    app = Flask("bench_platform")
    counter = {"jwks": 0}
    lock = threading.Lock()

    @app.get("/auth")
    def auth() -> Response:
        params = request.args.to_dict()
        platform = platforms[params["client_id"]]
        sub = params["login_hint"]
        spec = LaunchSpec(
            user=LaunchUser(sub, [LEARNER], f"Agent {sub}", f"{sub}@example.com"),
            context_id="course-1",
            context_title="Call Handling",
        )
        action, fields = platform.launch_form(params, spec)
        return jsonify({"action": action, **fields})

    @app.get("/jwks")
    def jwks() -> Response:
        with lock:
            counter["jwks"] += 1
        return jsonify(next(iter(platforms.values())).jwks())

    @app.get("/stats")
    def stats() -> Response:
        return jsonify(counter)

    return app


def main() -> None:
    port = int(sys.argv[1])
    tools = dict(arg.split("=", 1) for arg in sys.argv[2:])
    server = make_server("127.0.0.1", port, build(port, tools), threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
