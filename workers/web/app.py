"""create_app(): the FastAPI app with its routers, sessions, static files and lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from faststream.nats import NatsBroker
from nats.errors import Error as NatsError
from starlette.middleware.sessions import SessionMiddleware

from workers.app.runtime import Database, open_broker
from workers.app.settings import PLACEHOLDER_SESSION_SECRET, Settings
from workers.channels.registry import webhook_routers
from workers.web import auth, health, metrics
from workers.web.api import feedback as api
from workers.web.api import schema
from workers.web.api import tickets as api_tickets
from workers.web.body_cap import FormBodyCapMiddleware, form_limits
from workers.web.closing import close_all
from workers.web.errors import install_error_handlers
from workers.web.pages import letters as letter_pages
from workers.web.pages import phone as phone_pages
from workers.web.pages import quarantine as quarantine_pages
from workers.web.pages import review as review_pages
from workers.web.pages import scan_upload as scan_upload_pages
from workers.web.pages import scans as scan_pages
from workers.web.pages import start as operator_pages
from workers.web.pages import submission as submission_pages
from workers.web.pages import ticket as tickets_pages
from workers.web.privacy import install_access_log_filter
from workers.web.security_headers import SecurityHeadersMiddleware
from workers.web.templating import make_templates

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
SESSION_MAX_AGE = auth.SESSION_MAX_AGE  # one working shift



def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Open what the caller did not provide, and close only that."""
        owned_database: Database | None = None
        owned_broker: NatsBroker | None = None
        try:
            if app.state.database is None:
                # hide_parameters: an SQL error message must not carry the row's personal data into the log.
                owned_database = Database.from_settings(settings, hide_parameters=True)
                await owned_database.migrate()
                app.state.database = owned_database
            if app.state.broker is None:
                owned_broker = await open_broker(settings)
                app.state.broker = owned_broker
            yield
        finally:
            await close_all(app)
            if owned_broker is not None:
                app.state.broker = None
                # NATS may already be gone at shutdown; nothing is pending here (publishes are awaited).
                with contextlib.suppress(NatsError):
                    await owned_broker.stop()
            if owned_database is not None:
                app.state.database = None
                await owned_database.close()

    return lifespan


def create_app(settings: Settings, database: Database | None = None, broker: NatsBroker | None = None) -> FastAPI:
    app = FastAPI(
        title="Приём претензий",
        description="Operator UI (phone channel) and REST API (web channel) of the complaint intake gateway",
        lifespan=_lifespan(settings),
        # The schema is served to logged-in staff by workers.web.api.schema (no CDN-hosted Swagger UI).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # Set now, not in the lifespan: a test transport without lifespan events still works.
    app.state.settings = settings
    app.state.database = database
    app.state.broker = broker
    app.state.closers = []  # workers.web.closing
    app.state.templates = make_templates(settings)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="complaints_session",
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.session_https_only,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # Outermost: a staff form's body is capped before the session, CSRF or the handler read it.
    app.add_middleware(FormBodyCapMiddleware, limit_for=form_limits(settings.scan.max_bytes))
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The machine-facing routes first: a request is matched against the routes in order, and the REST API
    # and the webhooks carry the load (their prefixes, /api/ and /channels/, are their own).
    for module in (health, api, api_tickets):
        app.include_router(module.router)
    for router in webhook_routers():
        app.include_router(router)
    for module in (auth, operator_pages, phone_pages, submission_pages,
                   tickets_pages, review_pages, quarantine_pages, letter_pages,
                   scan_upload_pages, scan_pages,  # /scans/upload before /scans/{number}
                   schema, metrics):
        app.include_router(module.router)
    install_access_log_filter()
    if settings.session_secret.get_secret_value() == PLACEHOLDER_SESSION_SECRET:
        # `complaints up`/`web` refuse it (workers.cli.run); an app built in code (tests) only warns.
        log.warning("web: COMPLAINTS_SESSION_SECRET is the default; set a long random value")
    return app
