"""Request-body rules shared by the sandbox frontend's API routes: size, JSON, field types."""
from __future__ import annotations

import json
from typing import Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from slurpy_sandbox.faults import FaultState

MAX_BODY = 64 * 1024
MODES = {"friend", "therapist", "coach", "parent", "boss"}


async def guarded_json(faults: FaultState, request: Request,
                       valid: Callable[[dict], bool]) -> tuple[dict | None, Response | None]:
    """The parsed, valid body, or the error answer the contract prescribes (413, 400 Bad JSON,
    400 Invalid request)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None, JSONResponse({"error": "Payload too large"}, status_code=413)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        if faults.is_on("frontend-500-traceback"):
            trace = ("Traceback (most recent call last):\n  File \"/app/api/proxy_chat.py\", line 42, in handler\n"
                     f"    body = json.loads(raw)\njson.decoder.JSONDecodeError: {exc}\n")
            return None, PlainTextResponse(trace, status_code=500)
        return None, JSONResponse({"error": "Bad JSON"}, status_code=400)
    if not isinstance(data, dict) or not valid(data):
        return None, JSONResponse({"error": "Invalid request"}, status_code=400)
    return data, None


def valid_chat(data: dict) -> bool:
    return (isinstance(data.get("message"), str) and bool(data["message"].strip())
            and data.get("mode", "friend") in MODES and isinstance(data.get("session_id", ""), str))
