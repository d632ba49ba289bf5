"""A test double of an OpenAI-compatible chat server: a real HTTP server speaking the real API.

Its path picks a behaviour: `/ok/v1` answers a valid suggestion, `/slow/v1` sleeps
`SLOW_SECONDS` first, `/broken/v1` fails with 500, `/garbage/v1` answers text that is not
JSON, `/badaction/v1` and `/overconfident/v1` answer JSON outside the schema, `/fenced/v1`
wraps valid JSON in a ```json fence, `/notchat/v1` answers some other JSON. Every request
body it gets is recorded, so tests can check what left the machine.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from tests.harness import invalid_api_key

API_KEY = "sk-test-llm"
SLOW_SECONDS = 2.0
GOOD = {
    "suggestion": "Apologise and offer Jane a refund for order 12345 under the 30-day policy.",
    "reasoning": "The headphones failed within the refund window.",
    "action": "offer_refund",
    "confidence": 0.86,
}
CONTENT = {
    "ok": json.dumps(GOOD),
    "garbage": "Sure! I think the agent should offer a refund.",
    "badaction": json.dumps({**GOOD, "action": "send_flowers"}),
    "overconfident": json.dumps({**GOOD, "confidence": 1.7}),
    "fenced": "```json\n" + json.dumps(GOOD) + "\n```",
}


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
    }


def fake_openai(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/{mode}/v1/chat/completions")
    async def chat(mode: str, request: Request, authorization: str | None = Header(None)) -> Response:
        if authorization != f"Bearer {API_KEY}":
            return invalid_api_key()
        body = await request.json()
        received.append({"mode": mode, "body": body})
        if mode == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if mode == "broken":
            return JSONResponse({"error": {"message": "The server had an error"}}, status_code=500)
        if mode == "notchat":
            return JSONResponse({"object": "list", "data": []})
        return JSONResponse(completion(CONTENT.get(mode, CONTENT["ok"])))

    return app
