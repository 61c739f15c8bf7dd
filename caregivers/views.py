from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caregivers import selectors, services
from caregivers.forms import InviteForm, RoleAndPermissionsForm
from caregivers.models import CaregiverInvitation, InvitationStatus, PatientCaregiver
from medtrack import ratelimit
from medtrack.db import AlreadyCreated
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


def _team_page(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    invite_form: InviteForm | None = None,
    status: int | None = None,
) -> HttpResponse:
    manager = can(patient, Area.CAREGIVERS, Level.MANAGE)
    context = {
        "patient": patient,
        "members": selectors.team_members(patient),
        "invitations": selectors.pending_invitations(patient),
        "is_manager": manager,
        "invite_form": invite_form
        or (
            InviteForm(initial={"role": "secondary", "form_token": uuid.uuid4()})
            if manager
            else None
        ),
        "now": timezone.now(),
    }
    return render(
        request, "caregivers/team.html", context, status=status or (400 if invite_form else 200)
    )


@patient_view(Area.CAREGIVERS)
@require_GET
def team(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    return _team_page(request, patient)


@patient_view(Area.CAREGIVERS, Level.MANAGE)
@require_POST
def invite(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    form = InviteForm(request.POST)
    if wait := ratelimit.hit_all((ratelimit.INVITATIONS, str(request.user.pk))):
        form.is_valid()
        ratelimit.refuse(form, wait)
        return _team_page(request, patient, invite_form=form, status=429)
    if form.is_valid():
        try:
            services.invitation_create(
                patient=patient,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                permissions=form.permissions,
                form_token=form.cleaned_data["form_token"],
            )
        except AlreadyCreated:
            messages.info(request, _("This invitation was already sent."))
            return redirect("caregivers:team", patient_id=patient.pk)
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. It works for %(days)s days.")
                % {"email": form.cleaned_data["email"], "days": settings.INVITATION_VALID_DAYS},
            )
            return redirect("caregivers:team", patient_id=patient.pk)
    return _team_page(request, patient, invite_form=form)


def _invitation(patient: Patient, invitation_id: uuid.UUID) -> CaregiverInvitation:
    return get_object_or_404(CaregiverInvitation, pk=invitation_id, patient=patient)


@patient_view(Area.CAREGIVERS, Level.MANAGE)
@require_POST
def invitation_resend(
    request: AuthenticatedHttpRequest, patient: Patient, invitation_id: uuid.UUID
) -> HttpResponse:
    invitation = _invitation(patient, invitation_id)
    try:
        services.invitation_resend(invitation=invitation, patient=patient, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("A new link was sent to %(email)s.") % {"email": invitation.email}
        )
    return redirect("caregivers:team", patient_id=patient.pk)


@patient_view(Area.CAREGIVERS, Level.MANAGE)
@require_POST
def invitation_revoke(
    request: AuthenticatedHttpRequest, patient: Patient, invitation_id: uuid.UUID
) -> HttpResponse:
    invitation = _invitation(patient, invitation_id)
    services.invitation_revoke(invitation=invitation, patient=patient, actor=request.user)
    messages.success(
        request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email}
    )
    return redirect("caregivers:team", patient_id=patient.pk)


def _member(patient: Patient, member_id: uuid.UUID) -> PatientCaregiver:
    return get_object_or_404(
        PatientCaregiver.objects.select_related("caregiver"),
        pk=member_id,
        patient=patient,
        is_active=True,
    )


@patient_view(Area.CAREGIVERS, Level.MANAGE)
@require_http_methods(["GET", "POST"])
def member_edit(
    request: AuthenticatedHttpRequest, patient: Patient, member_id: uuid.UUID
) -> HttpResponse:
    member = _member(patient, member_id)
    initial = RoleAndPermissionsForm.initial_for(member.role, member.permissions)
    form = RoleAndPermissionsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                patient=patient,
                actor=request.user,
                member=member,
                role=form.cleaned_data["role"],
                permissions=form.permissions,
            )
        except ValidationError as error:
            form.add_error("role", error)
        else:
            messages.success(
                request, _("%(name)s's role was updated.") % {"name": member.caregiver.name}
            )
            return redirect("caregivers:team", patient_id=patient.pk)
    return render(
        request, "caregivers/member.html", {"patient": patient, "member": member, "form": form}
    )


@patient_view(Area.CAREGIVERS, Level.MANAGE)
@require_POST
def member_remove(
    request: AuthenticatedHttpRequest, patient: Patient, member_id: uuid.UUID
) -> HttpResponse:
    member = _member(patient, member_id)
    try:
        services.member_remove(patient=patient, actor=request.user, member=member)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("%(name)s was removed from the team.") % {"name": member.caregiver.name}
        )
    return redirect("caregivers:team", patient_id=patient.pk)


@patient_view(Area.CAREGIVERS, Level.NONE, post_needs=Level.NONE)
@require_http_methods(["GET", "POST"])
def leave(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Anyone may leave a team, even a member who may not see the team list."""
    if request.method == "POST":
        try:
            services.member_leave(patient=patient, actor=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("caregivers:leave", patient_id=patient.pk)
        messages.success(request, _("You left %(name)s's care team.") % {"name": patient.name})
        return redirect("patients:list")
    return render(request, "caregivers/leave.html", {"patient": patient})


# -- The invitation link (public) ------------------------------------------------------


@login_not_required
@require_GET
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    # The link's secret is long and random; the limit keeps anyone from trying many.
    if wait := ratelimit.hit_all((ratelimit.INVITATION_LINKS, ratelimit.client_address(request))):
        response = render(request, "429.html", {"minutes": -(-wait // 60)}, status=429)
        response["Retry-After"] = str(wait)
        return response
    found = services.invitation_for_token(token)
    if found is None:
        return render(request, "caregivers/invitation_invalid.html", status=404)
    context = {
        "found": found,
        "token": token,
        "open": found.invitation.status == InvitationStatus.PENDING and not found.expired,
        "right_account": request.user.is_authenticated
        and request.user.email == found.invitation.email,
    }
    return render(request, "caregivers/invitation.html", context)


def _answer(request: AuthenticatedHttpRequest, token: str, accept: bool) -> HttpResponse:
    try:
        if accept:
            patient = services.invitation_accept(token=token, user=request.user)
        else:
            services.invitation_decline(token=token, user=request.user)
    except (ValidationError, PermissionDenied):
        # Closed meanwhile, or the wrong account: the page explains which.
        return redirect("caregivers:invitation", token=token)
    if accept:
        messages.success(request, _("Welcome to %(name)s's care team.") % {"name": patient.name})
        return redirect("patients:detail", patient_id=patient.pk)
    messages.info(request, _("You declined the invitation."))
    return redirect("dashboard:home")


@require_POST
def invitation_accept(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    return _answer(request, token, accept=True)


@require_POST
def invitation_decline(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    return _answer(request, token, accept=False)
