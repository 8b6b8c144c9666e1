"""Server-sent events over Django's StreamingHttpResponse.

Under ASGI (daphne) the body is an async iterator: each step of the turn runs in a worker thread,
and a client disconnect cancels the iteration, which closes the turn's generator. Under WSGI it is
a plain generator that the server closes when the client goes away.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

KEEPALIVE_SECONDS = 15.0
_END = object()


class EventStreamRenderer(BaseRenderer):
    """Lets clients send `Accept: text/event-stream`; an error before the stream starts is one SSE
    `error` event carrying the usual envelope."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        kind = "error" if isinstance(data, dict) and "error" in data else "message"
        return encode({"type": kind, **(data if isinstance(data, dict) else {"data": data})})


def encode(event: dict[str, Any]) -> bytes:
    payload = {k: v for k, v in event.items() if k != "type"}
    data = json.dumps(payload, cls=DjangoJSONEncoder)
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n".encode()


def is_asgi(request: Any) -> bool:
    return isinstance(getattr(request, "_request", request), ASGIRequest)


def _sync_body(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    try:
        for item in events:
            yield encode(item)
    finally:
        close = getattr(events, "close", None)
        if close:
            close()


async def _async_body(events: Iterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    step = database_sync_to_async(next)
    try:
        while True:
            item = await step(events, _END)
            if item is _END:
                return
            yield encode(item)
    finally:
        # Same (thread-sensitive) worker thread as the steps: runs after a step still in progress.
        close = getattr(events, "close", None)
        if close:
            await database_sync_to_async(close)()


def stream(request: Any, events: Iterator[dict[str, Any]]) -> StreamingHttpResponse:
    body = _async_body(events) if is_asgi(request) else _sync_body(events)
    return _response(body)


def _response(body: Any) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


async def group_events(group: str, hello: dict[str, Any]) -> AsyncIterator[bytes]:
    """Everything pushed to a channel-layer group, as SSE, until the client goes away."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        yield encode(hello)
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if message.get("type") == "chat.event":
                yield encode(message["event"])
    finally:
        with contextlib.suppress(Exception):
            await layer.group_discard(group, channel)


def group_stream(group: str, hello: dict[str, Any]) -> StreamingHttpResponse:
    return _response(group_events(group, hello))
