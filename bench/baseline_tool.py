"""The baseline: a minimal LTI 1.3 tool written the way pylti1p3's Flask example does it.

ToolConfDict with one registration, FlaskOIDCLogin and FlaskMessageLaunch, launch data and nonces
in Redis (so login and launch may land on different gunicorn workers), and pylti1p3's public-key
caching switched on (without it pylti1p3 fetches the platform JWKS on every launch). It checks
what pylti1p3 checks and renders one small page.

    BASELINE_PLATFORM=http://127.0.0.1:PORT BASELINE_REDIS=redis://... gunicorn bench.baseline_tool:app
"""

from __future__ import annotations

import json
import os
import pickle
from typing import Any

import redis
from flask import Flask
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.tool_config import ToolConfDict

PLATFORM = os.environ["BASELINE_PLATFORM"]
CLIENT_ID = os.environ.get("BASELINE_CLIENT_ID", "baseline")


class RedisCache:
    """The get/set interface pylti1p3's cache storage expects, on Redis."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)

    def get(self, key: str) -> Any:
        raw = self._redis.get("baseline:" + key)
        return None if raw is None else pickle.loads(raw)

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        self._redis.set("baseline:" + key, pickle.dumps(value), ex=exp)


CACHE = RedisCache(os.environ["BASELINE_REDIS"])
TOOL_CONF = ToolConfDict(
    {
        PLATFORM: [
            {
                "default": True,
                "client_id": CLIENT_ID,
                "auth_login_url": PLATFORM + "/auth",
                "auth_token_url": PLATFORM + "/token",
                "key_set_url": PLATFORM + "/jwks",
                "deployment_ids": ["bench-deployment"],
            }
        ]
    }
)

app = Flask("baseline")
app.secret_key = "baseline-secret-for-the-benchmark-only"


def storage() -> FlaskCacheDataStorage:
    data_storage = FlaskCacheDataStorage(CACHE)
    return data_storage


@app.route("/login", methods=["GET", "POST"])
def login() -> Any:
    request = FlaskRequest()
    oidc = FlaskOIDCLogin(request, TOOL_CONF, launch_data_storage=storage())
    target = request.get_param("target_link_uri")
    return oidc.redirect(target)


@app.post("/launch")
def launch() -> Any:
    request = FlaskRequest()
    message = FlaskMessageLaunch(request, TOOL_CONF, launch_data_storage=storage())
    message.set_public_key_caching(storage(), cache_lifetime=7200)
    data = message.get_launch_data()
    return (
        f"<h1>Welcome, {data.get('name', 'learner')}</h1><pre>{json.dumps(data.get('sub'))}</pre>"
    )
