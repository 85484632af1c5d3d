"""Start the Rasa server as we run it (`python -m bot.serve`, from scripts/run-rasa).

Instead of `rasa run --auth-token …` this reads its settings from the environment, so the
HTTP API token never shows in the process list, and it hardens what `rasa run` leaves open:
  - it listens on loopback unless RASA_HOST says otherwise;
  - CORS answers only the configured web origins (`rasa run --cors "*"` reflected any origin,
    with credentials);
  - `/version` and `/` no longer tell a stranger which Rasa runs here;
  - request bodies are capped (Sanic's default is 100 MB) and SIGTERM stops it within seconds;
  - NLU parsing runs in a worker thread, so one costly message cannot freeze every other
    conversation on the event loop;
  - every log record and warning is masked (bot.privacy) before it is written.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Text

from bot import privacy
from bot.production import refuse_unsafe_start
from bot.settings import read

MAX_REQUEST_BYTES = 64 * 1024  # far above any chat message; channels check their own smaller limits
GRACEFUL_SHUTDOWN_SECONDS = 3.0  # in-flight turns finish well inside this; then the process exits
PARSE_THREADS = 2  # one per core: NLU releases the GIL in numpy and the e5 encoder
ROOT_REPLY = {"status": "ok"}


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    token: str
    cors_origins: List[str]
    model: str
    endpoints: str
    credentials: str

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> ServerSettings:
        """Read once at start (names and defaults: bot.settings.VARIABLES); an empty variable is unset."""
        env = os.environ if env is None else env
        token = read(env, "RASA_TOKEN")
        if not token:
            raise SystemExit("RASA_TOKEN is not set: the Rasa HTTP API needs a token (scripts/defaults.sh makes one)")
        port = read(env, "RASA_PORT")
        if not port.strip().isdigit() or not 0 < int(port) < 65536:
            raise SystemExit(f"RASA_PORT must be a port number (1-65535), not {port!r}")
        origins = [o.strip().rstrip("/") for o in read(env, "RASA_CORS_ORIGINS").split(",") if o.strip()]
        return cls(
            host=read(env, "RASA_HOST"),  # never "" (all interfaces) by accident
            port=int(port),
            token=token,
            cors_origins=origins,
            model=read(env, "RASA_MODEL"),
            endpoints=read(env, "RASA_ENDPOINTS"),
            credentials=read(env, "RASA_CREDENTIALS"),
        )


def harden(app: Any, token: str) -> None:
    """Sanic settings and a middleware on the app Rasa built."""
    from sanic import response

    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = GRACEFUL_SHUTDOWN_SECONDS

    @app.middleware("request")
    async def hide_version(request: Any) -> Any:
        if request.path == "/":
            return response.json(ROOT_REPLY)
        if request.path == "/version" and request.args.get("token") != token:
            return response.json({"error": "not found"}, status=404)
        return None


def parse_off_the_event_loop() -> None:
    """Run Rasa's NLU graph in a thread: Rasa 3.6 runs it on the event loop, where a costly
    message (thousands of characters) stalled every other citizen for seconds."""
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    pool = ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="nlu")

    async def parse_message(
        self: MessageProcessor,
        message: Any,
        tracker: Optional[DialogueStateTracker] = None,
        only_output_properties: bool = True,
    ) -> Dict[Text, Any]:
        if self.http_interpreter:
            answer: Dict[Text, Any] = await original(self, message, tracker, only_output_properties)
            return answer
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        loop = asyncio.get_running_loop()
        parse_data: Dict[Text, Any] = await loop.run_in_executor(
            pool, self._parse_message_with_graph, message, tracker, only_output_properties
        )
        self._update_full_retrieval_intent(parse_data)
        self._check_for_unseen_features(parse_data)
        return parse_data

    original = MessageProcessor.parse_message
    if getattr(original, "__name__", "") != "parse_message_in_thread":
        parse_message.__name__ = "parse_message_in_thread"
        MessageProcessor.parse_message = parse_message  # Rasa's own method, replaced


def main() -> None:
    refuse_unsafe_start("rasa")
    privacy.install_log_masking()
    settings = ServerSettings.from_env()
    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # As `rasa run` sets them up; structlog then writes through the logging module (masked),
    # and drops its debug records, which carry whole user texts and tracker states.
    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    privacy.install_log_masking()  # again: Rasa's set-up may replace the warning hooks
    parse_off_the_event_loop()

    build = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = build(*args, **kwargs)
        harden(app, settings.token)
        return app

    rasa.core.run.configure_app = configure_app  # serve_application looks it up by name
    rasa.core.run.serve_application(
        model_path=settings.model,
        interface=settings.host,
        port=settings.port,
        credentials=settings.credentials,
        cors=settings.cors_origins,
        auth_token=settings.token,
        enable_api=True,
        endpoints=AvailableEndpoints.read_endpoints(settings.endpoints),
    )


if __name__ == "__main__":
    main()
