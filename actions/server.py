"""Entry point of the action server: rasa-sdk's own app, with a /health that tells
whether the embedding model and the knowledge index are loaded, an error handler that never
echoes the request (rasa-sdk's sends the whole tracker back, and Rasa logged it), and masked logs."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response

from actions import metrics
from actions.runtime import runtime
from bot.privacy import install_log_masking

logger = logging.getLogger(__name__)


async def _failed(request: Request, exception: Exception) -> HTTPResponse:
    logger.error("request.failed: %s %s", request.path, type(exception).__name__)
    return response.json({"error": "The action server could not handle this request."}, status=500)


def build_app() -> Sanic[Any, Any]:
    executor = ActionExecutor()
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app(executor, cors_origins=None)
    # rasa-sdk's own handler for Exception answers with the whole request (the tracker), which Rasa
    # then logs; Sanic refuses a second handler for the same exception, so this one replaces it.
    app.error_handler.cached_handlers[(Exception, None)] = _failed

    # rasa-sdk registers a bare GET /health; answer it first with the real state.
    @app.on_request
    async def health(request: Request) -> HTTPResponse | None:
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
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = build_app()
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
