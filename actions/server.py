"""Entry point of the action server: rasa-sdk's own app, with a /health that tells
whether the embedding model and the knowledge index are loaded, an error handler that never
echoes the request (rasa-sdk's sends the whole tracker back, and Rasa logged it), and masked logs.

`/webhook` runs an action on whatever tracker it is given, so it answers only Rasa: a request
without Rasa's X-Action-Token (ACTION_TOKEN, sent by endpoints.yml's action_endpoint headers)
is refused, so nobody can post a forged tracker and run a dossier lookup past the identity step."""

from __future__ import annotations

import argparse
import dataclasses
import hmac
import logging
import os
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response

from actions import metrics
from actions.runtime import runtime
from bot.privacy import install_log_masking
from bot.production import refuse_unsafe_start

logger = logging.getLogger(__name__)
TOKEN_HEADER = "X-Action-Token"


async def _failed(request: Request, exception: Exception) -> HTTPResponse:
    logger.error("request.failed: %s %s", request.path, type(exception).__name__)
    return response.json({"error": "The action server could not handle this request."}, status=500)


def from_rasa(request: Request, token: str) -> bool:
    return hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), token.encode())


def build_app(token: str | None = None) -> Sanic[Any, Any]:
    """`token`: what `/webhook` requires (default ACTION_TOKEN; empty: nothing, for a bare local run)."""
    token = os.environ.get("ACTION_TOKEN", "") if token is None else token
    executor = ActionExecutor()
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app(executor, cors_origins=None)
    # rasa-sdk's own handler for Exception answers with the whole request (the tracker), which Rasa
    # then logs; Sanic refuses a second handler for the same exception, so this one replaces it.
    app.error_handler.cached_handlers[(Exception, None)] = _failed

    # rasa-sdk registers a bare GET /health; answer it first with the real state.
    @app.on_request
    async def gate(request: Request) -> HTTPResponse | None:
        if request.path == "/webhook" and token and not from_rasa(request, token):
            return response.json({"error": "This endpoint answers the Rasa server only."}, status=401)
        if request.method == "GET" and request.path == "/metrics":
            status = runtime().status()
            knowledge = runtime().knowledge()
            build = knowledge.manifest.get("build_id") if knowledge is not None else None
            return response.raw(metrics.exposition(status.procedures, build), content_type=metrics.CONTENT_TYPE)
        if request.method == "GET" and request.path == "/health":
            status = runtime().status()
            return response.json(
                {"status": "ok" if status.knowledge_loaded else "degraded", **dataclasses.asdict(status)}
            )
        return None  # every other request goes on to rasa-sdk

    @app.before_server_start
    async def warm_up(*_: object) -> None:
        runtime().knowledge()  # load index and model before the first citizen waits for them

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Trợ lý Thủ tục action server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    refuse_unsafe_start("actions")
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = build_app()
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
