"""The access policy: may this user do this to this patient's area?

One module answers it, from the user's ``patient_caregivers`` row: the role
gives a level per area (DESIGN.md §B.8) and ``permissions`` can only lower
it. Views load patients only through ``get_patient_for_user`` (or the
``patient_view`` decorator built on it), services re-check with
``require``. Row level security in the database enforces the role-level
rule a second time.

A user who is not an active member does not learn the patient exists: 404.
A member whose level is too low is told so: 403.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse

from patients.models import Patient


class Level(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    MANAGE = 3  # write and delete the patient; manage the team


class Area(enum.StrEnum):
    PATIENT = "patient"
    MEDICATIONS = "medications"
    DOSES = "doses"
    MEASUREMENTS = "measurements"
    LOGS = "logs"
    APPOINTMENTS = "appointments"
    FILES = "files"
    CAREGIVERS = "caregivers"
    EXPORTS = "exports"
    ACTIVITY = "activity"


_CARE = (Area.MEDICATIONS, Area.DOSES, Area.MEASUREMENTS, Area.LOGS, Area.APPOINTMENTS, Area.FILES)

#: DESIGN.md §B.8, as levels.
DEFAULTS: dict[str, dict[Area, Level]] = {
    "primary": {
        Area.PATIENT: Level.MANAGE,
        **dict.fromkeys(_CARE, Level.WRITE),
        Area.CAREGIVERS: Level.MANAGE,
        Area.EXPORTS: Level.WRITE,
        Area.ACTIVITY: Level.READ,
    },
    "secondary": {
        Area.PATIENT: Level.WRITE,
        **dict.fromkeys(_CARE, Level.WRITE),
        Area.CAREGIVERS: Level.READ,
        Area.EXPORTS: Level.WRITE,
        Area.ACTIVITY: Level.NONE,
    },
    "viewer": {
        Area.PATIENT: Level.READ,
        **dict.fromkeys(_CARE, Level.READ),
        Area.CAREGIVERS: Level.READ,
        Area.EXPORTS: Level.NONE,
        Area.ACTIVITY: Level.NONE,
    },
}
_NARROWING = {"none": Level.NONE, "read": Level.READ, "write": Level.WRITE}


def level_for(role: str, permissions: dict[str, Any] | None, area: Area) -> Level:
    """The role's level in ``area``, lowered (never raised) by ``permissions``."""
    level = DEFAULTS.get(role, {}).get(area, Level.NONE)
    narrowed = _NARROWING.get(str((permissions or {}).get(area.value, "")), level)
    return min(level, narrowed)


def get_patient_for_user(
    user: Any,
    patient_id: uuid.UUID | str,
    area: Area,
    need: Level = Level.READ,
    *,
    include_deleted: bool = False,
) -> Patient:
    """The patient, with ``membership_role`` and ``access_level`` set, in one query.

    Raises Http404 unless ``user`` is an active member of the patient's team,
    and PermissionDenied when their level in ``area`` is below ``need``.
    """
    if not getattr(user, "is_authenticated", False):
        raise Http404
    patients: Any = Patient.objects.filter(
        pk=patient_id, caregivers__caregiver=user, caregivers__is_active=True
    ).annotate(
        membership_role=F("caregivers__role"), membership_permissions=F("caregivers__permissions")
    )
    if not include_deleted:
        patients = patients.active()
    patient = patients.first()
    if patient is None:
        raise Http404
    patient.access_level = level_for(patient.membership_role, patient.membership_permissions, area)
    if patient.access_level < need:
        raise PermissionDenied
    return patient


def can(patient: Patient, area: Area, need: Level) -> bool:
    """For templates and services: may the member who loaded ``patient`` do this?"""
    role = getattr(patient, "membership_role", None)
    if role is None:
        return False
    return level_for(role, getattr(patient, "membership_permissions", None), area) >= need


def require(patient: Patient, area: Area, need: Level) -> None:
    """For services: refuse (403) unless the member who loaded ``patient`` may do this."""
    if not can(patient, area, need):
        raise PermissionDenied


V = TypeVar("V", bound=Callable[..., HttpResponse])


def patient_view(
    area: Area,
    need: Level = Level.READ,
    *,
    post_needs: Level = Level.WRITE,
    include_deleted: bool = False,
    page: str = "",
    logged: bool = True,
) -> Callable[[V], V]:
    """Load ``kwargs['patient_id']`` through the policy and pass the patient on.

    Writes (any method but GET/HEAD) need at least ``post_needs`` (WRITE;
    only leaving a team asks less). The view is labelled with its area and
    levels so the URL walk test can check it. GETs of a patient's pages go to
    the access log, as the ``page`` they show (by default the area's), unless
    the view logs what it does itself (``logged=False``: file downloads).
    """

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(
            request: HttpRequest, patient_id: uuid.UUID, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            required = need if request.method in ("GET", "HEAD") else max(need, post_needs)
            patient = get_patient_for_user(
                request.user, patient_id, area, required, include_deleted=include_deleted
            )
            if request.method == "GET" and logged:
                from audit.services import access_log_record

                access_log_record(
                    request=request,
                    action="view",
                    patient_id=patient.pk,
                    object_type=page or area.value,
                )
            return view(request, patient, *args, **kwargs)

        wrapper.patient_access = (area, need, max(need, post_needs))  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
