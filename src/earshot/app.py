"""The application factory: wires settings, database, call hub, routes and the web app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from earshot import __version__
from earshot.assist.factory import create_assist
from earshot.assist.pipeline import AssistPipeline
from earshot.assist.routes import router as assist_router
from earshot.auth.routes import router as auth_router
from earshot.auth.scrub import scrub_server_logs
from earshot.auth.sockets import StaffSockets
from earshot.auth.throttle import create_login_throttle
from earshot.calls.admission import Admission, LoopLag
from earshot.calls.hub import CallHub
from earshot.calls.routes import agents_router
from earshot.calls.routes import router as calls_router
from earshot.calls.telephony import router as telephony_router
from earshot.calls.ws import router as calls_ws_router
from earshot.config import Settings, get_settings
from earshot.customers.routes import router as customers_router
from earshot.db import Database, DatabaseDep, unreachable
from earshot.inputs import InputGuard
from earshot.outage import handle_database_outages
from earshot.metrics.alerts import AlertWatcher, announce_on
from earshot.metrics.facts import MetricsRecorder
from earshot.metrics.floor import FloorPublisher
from earshot.metrics.routes import router as metrics_router
from earshot.recordings.routes import router as recordings_router
from earshot.recordings.service import Recordings
from earshot.sessions.history_recorder import HistoryRecorder, create_summarizer
from earshot.sessions.routes import router as sessions_router
from earshot.startup import when_reachable
from earshot.transcription.routes import router as transcription_router
from earshot.transcription.service import TranscriptionService
from earshot.web import mount_web_app

log = logging.getLogger(__name__)

HEALTH_PROBE_SECONDS = 2.0  # how long /api/health waits for the database's write lock


def _outage_at_start(error: BaseException) -> bool:
    # Besides a refused or lost connection: a host name that does not resolve yet (its container
    # is still starting) or a connect that timed out.
    return unreachable(error) or isinstance(error, OSError)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.resolved_database_url, settings.database_busy_timeout_seconds)
        where = db.engine.url.render_as_string(hide_password=True)
        await when_reachable(f"the database ({where})", db.migrate, settings.startup_wait_seconds, _outage_at_start)
        hub = CallHub(db, settings)
        await hub.start()
        transcription = TranscriptionService(settings)
        await transcription.start()
        assist = await asyncio.to_thread(create_assist, settings)
        hub.redact = assist.redact
        hub.redact_partial = assist.redact_partial
        app.state.db = db
        app.state.hub = hub
        app.state.login_throttle = login_throttle = create_login_throttle(settings)
        lag = LoopLag()
        lag.start()
        app.state.admission = Admission(settings, lambda: hub.queue_length, lag, lambda: app.state.assist.saturated)
        app.state.transcription = transcription
        app.state.knowledge = assist.knowledge
        app.state.suggestions = assist.provider
        app.state.assist = AssistPipeline(
            hub,
            db,
            assist.provider,
            assist.sentiment,
            settings.sentiment_alert_threshold,
            max_backlog=settings.assist_max_backlog,
            cached_calls=settings.assist_cached_calls,
            overloaded=lambda: lag.seconds * 1000 > settings.assist_shed_loop_lag_ms,
        )
        floor = FloorPublisher(db, hub.bus, settings.service_level_seconds, settings.floor_min_interval_seconds)
        await floor.start()
        app.state.floor = floor
        hub.observers.append(floor.on_event)
        metrics = MetricsRecorder(db, on_written=floor.changed)
        hub.observers.append(metrics.on_event)
        hub.agent_state_observers.append(metrics.on_agent_state)
        metrics.start()
        summarize, close_summarizer = create_summarizer(settings)
        history = HistoryRecorder(db, hub.log_event, summarize)
        hub.observers.append(history.on_event)
        recordings = Recordings(settings, hub.call_offset_ms, hub.log_event)
        hub.observers.append(recordings.on_event)
        recordings.start()
        app.state.recordings = recordings
        alert_watcher = AlertWatcher(db, settings, announce_on(hub.bus))
        alert_watcher.start()
        staff_sockets = StaffSockets(hub.bus)
        await staff_sockets.start()
        app.state.staff_sockets = staff_sockets
        log.info("Earshot %s ready (database: %s)", __version__, db.engine.url.render_as_string())
        try:
            yield
        finally:
            await lag.stop()
            await app.state.assist.stop()
            await staff_sockets.stop()
            await login_throttle.aclose()
            await hub.stop()
            await recordings.stop()
            await history.stop()
            await close_summarizer()
            await alert_watcher.stop()
            await metrics.stop()
            await floor.stop()
            await assist.provider.aclose()
            await transcription.stop()
            await db.close()

    scrub_server_logs()
    app = FastAPI(title="Earshot", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.add_middleware(InputGuard)
    handle_database_outages(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    @app.get("/api/health", tags=["health"], responses={503: {"description": "the database cannot take writes"}})
    async def health(db: DatabaseDep, request: Request) -> JSONResponse:
        """`ok` only when the database could take a write now; a locked, read-only or unreachable one answers 503.

        `bus` says whether fan-out to other instances works now (`reconnecting` while Redis is
        away). It does not fail the check: calls go on and clients catch up from the log after.
        """
        database = await db.writable(timeout=HEALTH_PROBE_SECONDS)
        status = "ok" if database == "ok" else "degraded"
        bus = "ok" if request.app.state.hub.bus.linked else "reconnecting"
        body = {"status": status, "version": __version__, "database": database, "bus": bus}
        return JSONResponse(body, status_code=200 if status == "ok" else 503)

    app.include_router(auth_router)
    app.include_router(calls_router)
    app.include_router(agents_router)
    app.include_router(customers_router)
    app.include_router(sessions_router)
    app.include_router(recordings_router)
    app.include_router(calls_ws_router)
    app.include_router(telephony_router)
    app.include_router(transcription_router)
    app.include_router(assist_router)
    app.include_router(metrics_router)
    mount_web_app(app, settings.static_dir)
    return app
