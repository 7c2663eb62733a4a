"""Slurpy's three services as the contract describes them (healthy), with fault hooks."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from monitor.sandbox.faults import FaultState


async def _health_delay(faults: FaultState, service: str) -> None:
    if faults.is_on(f"{service}-slow-health"):
        await asyncio.sleep(faults.param(f"{service}-slow-health", "delay_ms") / 1000)
    if faults.is_on(f"{service}-health-hang"):
        await asyncio.sleep(faults.param(f"{service}-health-hang", "hang_s"))


def frontend_app(faults: FaultState) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/api/health")
    async def api_health() -> Response:
        await _health_delay(faults, "frontend")
        if faults.is_on("frontend-health-missing-keys"):
            return JSONResponse({"ok": True})
        database_ok = not faults.is_on("frontend-health-5xx")
        database = {"ok": database_ok, "latency": 4}
        if not database_ok:
            database["error"] = "connection refused"
        body = {
            "ok": database_ok,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "sli_checks": {"database": database, "backend": {"ok": True, "latency": 7}},
            "slo_status": {"availability": database_ok, "latency_ok": True},
        }
        return JSONResponse(body, status_code=200 if database_ok else 503)

    @app.get("/health")
    async def liveness() -> Response:
        await _health_delay(faults, "frontend")
        return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})

    return app


def backend_app(faults: FaultState) -> FastAPI:
    app = FastAPI(title="Slurpy backend (sandbox)")

    @app.get("/health/healthz")
    async def healthz() -> dict:
        await _health_delay(faults, "backend")
        qdrant = not faults.is_on("backend-degraded")
        return {"ok": qdrant, "supabase": True, "qdrant": qdrant}

    return app


def mcp_app(faults: FaultState) -> FastAPI:
    app = FastAPI(title="Slurpy MCP (sandbox)")

    @app.get("/healthz")
    async def healthz() -> Response:
        await _health_delay(faults, "mcp")
        if faults.is_on("mcp-health-not-json"):
            return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>")
        status = "starting" if faults.is_on("mcp-wrong-body") else "ok"
        return JSONResponse({"status": status})

    @app.get("/stats")
    async def stats() -> dict:
        return {"qdrant": {"collections": 1, "points": 1024}}

    return app


APPS = {"frontend": frontend_app, "backend": backend_app, "mcp": mcp_app}
