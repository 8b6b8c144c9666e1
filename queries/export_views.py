"""Query exports over the API: stream a file back, or hand out a job and later its download."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from auditing.services import record
from core.exceptions import NotFound
from core.models import Job
from core.serializers import ErrorEnvelopeSerializer, JobSerializer
from core.views import WORKSPACE_HEADER
from metadata.views import WorkspaceAPIView
from teams.roles import Role

from . import exports
from .export_serializers import ExportQueuedSerializer, ExportRequestSerializer
from .models import QueryRun

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 422, 429, 502)}
FILE = {(200, fmt.content_type.split(";")[0]): OpenApiResponse(
    OpenApiTypes.BINARY, description="The file, as an attachment named `<question or query>-<date>.<ext>`.")
    for fmt in exports.FORMATS.values()}
# The JSON file is JSON: an array of objects keyed by column name (of arrays, without headers).
FILE[(200, "application/json")] = OpenApiResponse(
    {"type": "array", "items": {"oneOf": [{"type": "object", "additionalProperties": True}, {"type": "array", "items": {}}]}},
    description="The file, as an attachment named `<question or query>-<date>.json`.")


class AnyAccept(BaseContentNegotiation):
    """A download is asked for with whatever Accept header a browser or tool sends (text/csv, */*):
    the file's type is chosen by `format`, and errors are always the JSON envelope."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        return next((p for p in parsers if p.media_type == request.content_type.split(";")[0].strip()),
                    parsers[0] if parsers else None)

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


def streaming_body(request: Request, chunks: Iterable[bytes]) -> Any:
    """Under ASGI (daphne), Django would read a synchronous iterator to its end before sending a
    byte — the whole file in memory. There the chunks are pulled one at a time from a thread."""
    if not isinstance(getattr(request, "_request", request), ASGIRequest):
        return chunks
    iterator = iter(chunks)
    done = object()
    pull = sync_to_async(lambda: next(iterator, done), thread_sensitive=True)

    async def body() -> Any:
        try:
            while (part := await pull()) is not done:
                yield part
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                await sync_to_async(close, thread_sensitive=True)()

    return body()


def _file_chunks(path: Any) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while data := handle.read(256 * 1024):
            yield data


def _attachment(request: Request, body: Any, *, content_type: str, filename: str,
                length: int | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(streaming_body(request, body), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if length is not None:
        response["Content-Length"] = str(length)
    return response


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class QueryExportView(WorkspaceAPIView):
    """Seed 003's `POST /queries/{id}/export`: one of your runs, re-run in full, as a file."""

    role_map = {"POST": Role.VIEWER}
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="queries_export", request=ExportRequestSerializer,
        responses={**FILE, 202: ExportQueuedSerializer, **ERRORS},
        summary="Export a query's full result (CSV, Excel, JSON, Parquet); big ones become a background job",
        description="Re-runs the query's statement through the safety gate (up to EXPORT_MAX_ROWS rows, "
                    "EXPORT_TIMEOUT seconds) and streams the file back. PII columns are masked as for the run. "
                    "Above EXPORT_SYNC_MAX_ROWS rows (the run's count or the planner's estimate), or with "
                    "`async: true`, the answer is 202 with a job whose result holds the download link. "
                    "Errors: 400 unknown format, 404 not your query, 409 query not completed or data source "
                    "deleted, 422 rejected by the gate or failed on the database, 429 quota, 502 source unreachable.",
        examples=[OpenApiExample("CSV", value={"format": "csv", "include_headers": True}, request_only=True)])
    def post(self, request: Request, query_id: str) -> Any:
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run = QueryRun.objects.select_related("data_source", "workspace").get(
                pk=query_id, workspace=request.workspace, user=request.user)
        except (QueryRun.DoesNotExist, ValidationError, ValueError):
            raise NotFound("No such query.", code="NOT_FOUND") from None
        plan = exports.export_check(run=run, membership=request.membership, export_format=data["format"],
                                    include_headers=data["include_headers"])
        if exports.export_in_background(plan, requested=data["async"]):
            exports.export_account(user=request.user)
            job = exports.export_enqueue(plan=plan, workspace=request.workspace, user=request.user, request=request)
            return Response({"job_id": str(job.pk), "status": job.status,
                             "estimated_rows": job.params.get("estimated_rows"), "job": JobSerializer(job).data},
                            status=status.HTTP_202_ACCEPTED)
        exports.export_account(user=request.user)
        body = exports.export_stream(plan=plan, user=request.user, request=request)
        return _attachment(request, body, content_type=plan.format.content_type, filename=plan.filename)


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class ExportDownloadView(WorkspaceAPIView):
    """The file of a background export: its creator only, until it expires (410)."""

    role_map = {"GET": Role.VIEWER}
    content_negotiation_class = AnyAccept

    @extend_schema(operation_id="exports_download",
                   responses={**FILE, **{c: ErrorEnvelopeSerializer for c in (401, 403, 404, 409, 410)}},
                   summary="Download the file of a finished export job")
    def get(self, request: Request, job_id: str) -> Any:
        try:
            job = Job.objects.get(pk=job_id, workspace=request.workspace, created_by=request.user,
                                  kind=exports.JOB_KIND)
        except (Job.DoesNotExist, ValidationError, ValueError):
            raise NotFound("No such export.", code="NOT_FOUND") from None
        path = exports.export_download_check(job=job)
        result = job.result or {}
        fmt = exports.FORMATS[job.params.get("format", "csv")]
        record(actor=request.user, action="query.export_downloaded", target=job, workspace=request.workspace,
               request=request, details={"query_id": job.params.get("query_id"), "format": fmt.name,
                                         "rows": result.get("rows")})
        return _attachment(request, _file_chunks(path), content_type=fmt.content_type,
                           filename=result.get("filename") or path.name, length=path.stat().st_size)
