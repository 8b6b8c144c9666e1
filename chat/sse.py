"""Server-sent events over Django's StreamingHttpResponse.

Under ASGI (daphne) a turn runs in a worker thread and hands each event to the response the moment
it is made (the assistant's stages arrive live, not when it returns); a client disconnect makes the
turn stop at its next stage boundary. Under WSGI the body is the turn's generator, which the server
closes when the client goes away.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
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


Listener = Callable[[dict[str, Any]], None]


def stream_turn(request: Any, start: Callable[[Listener | None], Iterator[dict[str, Any]]]) -> StreamingHttpResponse:
    """`start(listener)` returns a turn's event generator (`chat.services.question_events`)."""
    if not is_asgi(request):
        return _response(_sync_body(start(None)))
    return _response(_live_body(start))


async def _live_body(start: Callable[[Listener | None], Iterator[dict[str, Any]]]) -> AsyncIterator[bytes]:
    from .services import TurnCancelled

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    gone = threading.Event()

    def deliver(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is reading any more
            gone.set()

    def listener(item: dict[str, Any]) -> None:
        if gone.is_set():
            raise TurnCancelled
        deliver(item)

    def drive() -> None:
        events = start(listener)
        try:
            for _ in events:
                if gone.is_set():
                    break
        except TurnCancelled:
            pass
        finally:
            events.close()
            deliver(_END)

    task = asyncio.ensure_future(database_sync_to_async(drive)())
    try:
        while True:
            item = await queue.get()
            if item is _END:
                break
            yield encode(item)
        await task  # an unexpected failure of the turn surfaces here
    finally:
        # The client went away (or the stream ended): the turn stops at its next stage boundary,
        # in its own thread; nothing here waits for it.
        gone.set()


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
