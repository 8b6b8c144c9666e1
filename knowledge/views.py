from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceScopedViewSet
from metadata.views import WorkspaceAPIView
from teams.roles import Role

from . import files, retrieval, services
from .filters import DocumentFilter
from .models import Document
from .serializers import (
    DocumentSerializer,
    DocumentUploadedSerializer,
    DocumentUploadSerializer,
    KnowledgeSearchSerializer,
    PassageSerializer,
    passage_data,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)}
UPLOAD_DESCRIPTION = (
    "Upload a document for the assistant's knowledge base (multipart field `file`). Supported: txt, md, csv, "
    "html, pdf, docx; the type is detected from the content. The document is processed in the background: "
    "watch `status`/`progress` on `GET /documents/{id}` or the job on `ws/notifications/`. "
    "Errors: 413 FILE_TOO_LARGE, 415 UNSUPPORTED_FILE_TYPE (also when the content contradicts the name), "
    "422 FILE_REJECTED/ARCHIVE_BOMB/ARCHIVE_UNSAFE_PATH/FILE_CORRUPT, 400 EMPTY_FILE/FILE_REQUIRED, "
    "409 DOCUMENT_LIMIT_REACHED/DUPLICATE_DOCUMENT."
)


class _DocumentBytesRenderer(BaseRenderer):
    """Lets a download answer any Accept header; errors still go out as the JSON envelope."""

    media_type = "*/*"
    format = "bin"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if isinstance(data, (dict, list)) else (data or b"")


def _upload(request: Request) -> Response:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > files.max_bytes() + 64 * 1024:
        raise files._too_large(files.max_bytes())  # refuse before reading the body
    upload = request.FILES.get("file") if hasattr(request, "FILES") else None
    if upload is None:
        upload = request.data.get("file") if hasattr(request.data, "get") else None
    document = services.document_upload(workspace=request.workspace, user=request.user, upload=upload,
                                        request=request)
    return Response(DocumentUploadedSerializer(document).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["documents"], parameters=[WORKSPACE_HEADER])
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Knowledge-base documents (seed 004): metric definitions, policies and the like that answers cite."""

    queryset = Document.objects.select_related("job")
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    ordering_fields = ["created_at", "name", "size", "status"]
    ordering = ["-created_at"]
    parser_classes = [MultiPartParser, FormParser]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "download": Role.VIEWER, "search": Role.VIEWER,
                "create": Role.ANALYST, "destroy": Role.ANALYST, "reprocess": Role.ANALYST}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        from knowledge.selectors import visible_documents

        return visible_documents(queryset, user=self.request.user)

    @extend_schema(operation_id="documents_create", request={"multipart/form-data": DocumentUploadSerializer},
                   responses={202: DocumentUploadedSerializer, **ERRORS}, description=UPLOAD_DESCRIPTION,
                   summary="Upload a document (same as POST /upload)")
    def create(self, request: Request) -> Response:
        return _upload(request)

    @extend_schema(responses={204: None, **ERRORS},
                   summary="Delete a document, its passages and its file (uploader or workspace admin)")
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        services.check_can_delete(document=document, user=request.user, membership=request.membership)
        services.document_delete(document=document, user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={**{(200, media_type): OpenApiResponse(OpenApiTypes.BINARY) for media_type in (
                                  files.TEXT_PLAIN, files.TEXT_MARKDOWN, files.TEXT_CSV, files.TEXT_HTML, files.PDF,
                                  files.DOCX)},  # the file as uploaded, in its own type
                              **ERRORS},
                   summary="Download the original file (members of the workspace)")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, _DocumentBytesRenderer])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        document = self.get_object()
        path = services.document_download_recorded(document=document, user=request.user, request=request)
        response = FileResponse(path.open("rb"), as_attachment=True, filename=document.name,
                                content_type=document.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    @extend_schema(request=None, responses={202: DocumentSerializer, **ERRORS},
                   summary="Extract and index the document again")
    @action(detail=True, methods=["post"], parser_classes=[])
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        document = services.document_reprocess(document=self.get_object(), user=request.user, request=request)
        return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True),
                               OpenApiParameter("k", OpenApiTypes.INT, required=False)],
                   responses={200: PassageSerializer(many=True), **ERRORS},
                   summary="The passages of this workspace's documents (and earlier answers) that best match q")
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def search(self, request: Request) -> Response:
        serializer = KnowledgeSearchSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        passages = retrieval.search(request.workspace, serializer.validated_data["q"], k=serializer.validated_data["k"],
                                    user=request.user)
        return Response([passage_data(p) for p in passages])


@extend_schema(tags=["documents"], parameters=[WORKSPACE_HEADER])
class UploadView(WorkspaceAPIView):
    """Seed 002's `POST /upload`: the same operation as `POST /documents`."""

    parser_classes = [MultiPartParser, FormParser]
    role_map = {"POST": Role.ANALYST}

    @extend_schema(operation_id="upload", request={"multipart/form-data": DocumentUploadSerializer},
                   responses={202: DocumentUploadedSerializer, **ERRORS}, description=UPLOAD_DESCRIPTION,
                   summary="Upload a document (seed 002)")
    def post(self, request: Request) -> Response:
        return _upload(request)
