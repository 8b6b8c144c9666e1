from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone

from .models import Invitation


@shared_task(name="teams.send_invitation_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
             ignore_result=True)
def send_invitation_email(invitation_id: str, token: str) -> bool:
    """Email the invitation link. Idempotent: an invitation is emailed at most once."""
    from .services import invitation_url

    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(
        pk=invitation_id, status=Invitation.Status.PENDING, email_sent_at__isnull=True
    ).first()
    if invitation is None:
        return False
    inviter = invitation.invited_by.name or invitation.invited_by.email if invitation.invited_by else "Someone"
    send_mail(
        subject=f"You are invited to {invitation.workspace.name} on InsightEngine",
        message=(
            f"{inviter} invited you to join the workspace “{invitation.workspace.name}” as {invitation.role}.\n\n"
            f"Accept the invitation: {invitation_url(token)}\n\n"
            f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC. "
            "If you do not have an account yet, register with this email address first."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
    Invitation.objects.filter(pk=invitation.pk).update(email_sent_at=timezone.now())
    return True
