"""The Starlette application: `uvicorn web.app:app` (see scripts/run-web)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from analytics import settings as analytics_settings
from analytics import store as analytics_store
from bot.privacy import install_log_masking
from bot.production import refuse_unsafe_start
from handoff.conversation import Handoff, handoff
from handoff.delivery import Delivery
from web import analytics, api, metrics, pages, staff, volunteer
from web.accounts import SignInDelays
from web.catalog import Catalog
from web.db import make_engine, session_factory
from web.ratelimit import FailureLimit
from web.security import SecurityHeaders, content_security_policy
from web.settings import Settings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SESSION_HOURS = 8


def asset_version(*names: str) -> str:
    """A short hash of the assets, appended to their URLs so browsers fetch new versions."""
    digest = hashlib.sha256()
    for name in names:
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:10]


def analytics_engine() -> Engine:
    """The turn records' database (the Rasa process writes them), its table made if missing."""
    engine = analytics_store.make_engine(analytics_settings.database_url())
    analytics_store.metadata.create_all(engine)
    return engine


def create_app(
    settings: Settings | None = None, catalog: Catalog | None = None, live: Handoff | None = None
) -> Starlette:
    """`live`: the live handoff (store, centres, phone box); by default the process's, from the environment."""
    settings = settings or Settings.from_env()
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(
        asset_v=asset_version(
            "widget/widget.js",
            "widget/widget.css",
            "site.css",
            "site.js",
            "staff/console.js",
            "staff/console.css",
            "staff/analytics.js",
            "staff/review.js",
        ),
        rasa_public_url=settings.rasa_public_url,
        public_url=settings.public_url,
        url_for=_path_for,
    )
    app = Starlette(
        routes=[
            *pages.routes,
            *api.routes,
            *volunteer.routes,
            *staff.routes,
            *analytics.routes,
            *metrics.routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders, csp=content_security_policy(settings.rasa_public_url)),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="tltt_session",
                max_age=SESSION_HOURS * 3600,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
        ],
        exception_handlers={HTTPException: _error_page},
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.templates = templates
    app.state.catalog = catalog or Catalog(settings.knowledge_index)
    app.state.db = session_factory(make_engine(settings.database_url))
    app.state.feedback_limits = api.FeedbackLimits()
    app.state.sign_in_limit = FailureLimit(volunteer.SIGN_IN_FAILURES, volunteer.SIGN_IN_WINDOW)
    app.state.sign_in_delays = SignInDelays()
    app.state.handoff = live or handoff()
    app.state.analytics = analytics_engine()
    app.state.catalog.knowledge()  # start loading the knowledge index in the background
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Staff messages reach citizens through Rasa (handoff/delivery.py): the console flushes at once,
    this task retries what Rasa could not take. Built per lifespan: its HTTP client lives in this loop."""
    settings: Settings = app.state.settings
    delivery = app.state.delivery = Delivery(app.state.handoff.store, settings.rasa_url, settings.rasa_token)
    task = asyncio.create_task(delivery.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await delivery.client.aclose()


@pass_context
def _path_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    # A path, not Starlette's absolute URL: that one is built from the request's Host header.
    request: Request = context["request"]
    return str(request.app.url_path_for(name, **path_params))


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if 300 <= exc.status_code < 400:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    if request.url.path.startswith(("/api/", "/staff/api/")):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
    )


def __getattr__(name: str) -> Starlette:
    # `uvicorn web.app:app` builds the app on first access, so importing web.app has no side effects.
    if name == "app":
        refuse_unsafe_start("web")
        install_log_masking()  # the served app logs through the same masking as Rasa and the actions
        globals()["app"] = application = create_app()
        return application
    raise AttributeError(name)
