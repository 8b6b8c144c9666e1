"""Console pages. Sign-in, sign-up and sign-out call the accounts services the API calls; every
other page is a shell whose data the browser fetches from the JSON API with a short-lived token
of the same login, so the API's permissions are the only ones there are."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services as account_services
from core.exceptions import DomainError

from .access import (
    WORKSPACE_KEY,
    access_token_for,
    auth_session_id,
    console_context,
    end_console_session,
    login_still_valid,
    remember_login,
)
from .forms import LoginForm, SignupForm, WorkspaceSwitchForm

BACKEND = "accounts.backends.EmailOrUsernameBackend"


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _form_errors_from(form: Any, exc: DomainError) -> None:
    details = getattr(exc, "details", None) or []
    placed = False
    for detail in details:
        field = detail.get("field")
        if field in form.fields:
            form.add_error(field, detail.get("message") or exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# --- authentication -------------------------------------------------------------------------

@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and login_still_valid(request):
        return redirect(_safe_next(request, reverse("console:home")))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, tokens = account_services.auth_login(
                identifier=form.cleaned_data["email"], password=form.cleaned_data["password"], request=request)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend=BACKEND)
            remember_login(request, tokens)
            return redirect(_safe_next(request, reverse("console:home")))
    status = 400 if form.errors else 200
    return render(request, "console/auth/login.html",
                  {"form": form, "next": _safe_next(request, ""), "allow_registration": settings.ALLOW_REGISTRATION},
                  status=status)


@never_cache
def signup_view(request: HttpRequest) -> HttpResponse:
    if not settings.ALLOW_REGISTRATION:
        return render(request, "console/auth/signup_closed.html", status=403)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, tokens = account_services.user_register(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                name=form.cleaned_data["name"], request=request)
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            login(request, user, backend=BACKEND)
            remember_login(request, tokens)
            messages.success(request, "Welcome! Your personal workspace is ready.")
            return redirect("console:home")
    return render(request, "console/auth/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        account_services.auth_logout(user=request.user, session_id=auth_session_id(request), request=request)
    end_console_session(request)
    messages.info(request, "You are signed out.")
    return redirect("console:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "console/auth/password_reset_form.html"
    email_template_name = "console/auth/password_reset_email.txt"
    subject_template_name = "console/auth/password_reset_subject.txt"
    success_url = reverse_lazy("console:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "console/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "console/auth/password_reset_confirm.html"
    success_url = reverse_lazy("console:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "console/auth/password_reset_complete.html"


# --- pages ----------------------------------------------------------------------------------

def console_page(template: str, *, admin_only: bool = False, title: str = "",
                 extra: Callable[[], dict[str, Any]] | None = None) -> Any:
    """A console page: signed in with a login that still stands, in a workspace; admin pages need
    the admin or owner role there (the API refuses the same calls to anyone else). `extra` adds
    static context (choices the page's forms offer), computed per request."""

    @never_cache
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or not login_still_valid(request):
            if request.user.is_authenticated:
                end_console_session(request)
                messages.info(request, "Your session has ended. Sign in again.")
            return HttpResponseRedirect(f"{reverse('console:login')}?next={request.path}")
        context = console_context(request)
        if context is None:
            return render(request, "console/no_workspace.html", status=403)
        if admin_only and not context.is_admin:
            return render(request, "console/forbidden.html", {"console": context, "title": "Not allowed"},
                          status=403)
        return render(request, template, {"console": context, "title": title, **(extra() if extra else {}), **kwargs})

    return view


def webhook_event_choices() -> dict[str, Any]:
    """The events a webhook can subscribe to, as the API accepts them (`ping` is only the test-fire)."""
    from auditing.models import WebhookEvent

    return {"webhook_events": [(e.value, e.label) for e in WebhookEvent if e != WebhookEvent.PING]}


@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not login_still_valid(request):
        return redirect("console:login")
    form = WorkspaceSwitchForm(request.POST)
    target = _safe_next(request, reverse("console:home"))
    if form.is_valid():
        try:
            account_services.user_settings_update(
                user=request.user, data={"default_workspace_id": form.cleaned_data["workspace"]})
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session[WORKSPACE_KEY] = str(form.cleaned_data["workspace"])
    response = redirect(target)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
    return response


@require_POST
@never_cache
def token_view(request: HttpRequest) -> JsonResponse:
    """POST (CSRF-checked) from the console's own pages: an access token for the JSON API."""
    if not request.user.is_authenticated or not login_still_valid(request):
        return JsonResponse({"error": {"code": "NOT_AUTHENTICATED", "message": "Sign in again.", "details": []}},
                            status=401)
    return JsonResponse(access_token_for(request))
