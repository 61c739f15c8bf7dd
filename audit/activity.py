"""The Activity page: a patient's history and access log, in plain words.

``rebuild_view`` (run after every migrate) unions every history table and
the access log into the ``activity`` view; ``describe`` turns a row into a
sentence ("Ana changed the allergies from penicillin to penicillin, latex").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory.models import Event

from audit.models import Action, Activity

#: Which area of the Activity filter a source belongs to.
AREAS = {
    "patients_patientevent": "patient",
    "caregivers_patientcaregiverevent": "caregivers",
    "caregivers_caregiverinvitationevent": "caregivers",
    "medications_medicationevent": "medications",
    "medications_medicationscheduleevent": "medications",
    "doses_doseevent": "doses",
    "measurements_measurementevent": "measurements",
    "measurements_measurementthresholdevent": "measurements",
    "journal_dailylogevent": "logs",
    "appointments_appointmentevent": "appointments",
    "files_fileevent": "files",
    "files_fileshareevent": "files",
    "exports_exportjobevent": "access",
    "access_log": "access",
}


#: History tables that are not the patient's story: a person's own notifications and
#: choices; and staff's emergency access grants, told by the access log's
#: ``break_glass`` rows instead (opened with the reason, ended early).
NOT_ACTIVITY = {
    "notifications_notificationevent",
    "notifications_notificationpreferencesevent",
    "audit_breakglassgrantevent",
}


def event_models() -> list[type[Event]]:
    return sorted(
        (
            m
            for m in apps.get_models()
            if issubclass(m, Event) and m._meta.managed and m._meta.db_table not in NOT_ACTIVITY
        ),
        key=lambda m: m._meta.db_table,
    )


def _branch(model: type[Event], quote: Callable[[str], str]) -> str:
    table = quote(model._meta.db_table)
    names = {field.name for field in model._meta.fields}
    patient = "e.patient_id" if "patient" in names else "e.pgh_obj_id"
    if "file" in names:  # file_shares: the patient of the shared file
        patient = "(SELECT f.patient_id FROM files f WHERE f.id = e.file_id)"
    return f"""
    SELECT '{model._meta.db_table}:' || lpad(e.pgh_id::text, 20, '0') AS key,
           e.pgh_created_at AS occurred_at, '{model._meta.db_table}'::text AS source,
           {patient} AS patient_id, e.pgh_obj_id::text AS object_id, e.pgh_label AS label,
           NULLIF(c.metadata ->> 'user', '')::uuid AS actor_id,
           to_jsonb(e) AS data, prev.data AS previous
    FROM {table} e
    LEFT JOIN pghistory_context c ON c.id = e.pgh_context_id
    LEFT JOIN LATERAL (
        SELECT to_jsonb(p) AS data FROM {table} p
        WHERE p.pgh_obj_id = e.pgh_obj_id AND p.pgh_id < e.pgh_id
        ORDER BY p.pgh_id DESC LIMIT 1
    ) prev ON e.pgh_label = 'update'"""


ACCESS_BRANCH = """
    SELECT 'access_log:' || a.id::text AS key, a.occurred_at, 'access_log'::text AS source,
           a.patient_id, a.object_id, a.action AS label, a.actor_id,
           jsonb_build_object('object_type', a.object_type, 'detail', a.detail) AS data,
           NULL::jsonb AS previous
    FROM access_log a"""


def rebuild_view(using: str = "default") -> None:
    """(Re)create the ``activity`` view over every history table (owner role, in migrate)."""
    connection = connections[using]
    branches = [_branch(model, connection.ops.quote_name) for model in event_models()]
    branches.append(ACCESS_BRANCH + " WHERE a.patient_id IS NOT NULL")
    app = connection.ops.quote_name(connection.settings_dict["USER"])
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS activity")
        cursor.execute("CREATE VIEW activity AS" + "\nUNION ALL".join(branches))
        # Read in system context only: the access log is not the app's to read.
        cursor.execute(f"REVOKE ALL ON activity FROM {app}")


def page_sql(
    sources: Iterable[str] | None = None, *, actor: bool = False, before: bool = False
) -> str:
    """One page of a patient's activity, newest first, as the ``activity`` view's
    rows, for ``Activity.objects.raw`` with the parameters ``patient``, ``size``
    and, when asked for, ``actor`` and ``at``/``key`` (the cursor).

    Each source is limited to the page's size on its own, inside the union, so its
    ``(patient_id, pgh_created_at)`` index gives the newest rows and only those get
    their JSON and previous version built: the page costs the same with ten years of
    history as with one (issue 16). Sorting the view itself would build every row
    of the patient's history first."""
    quote = connections["default"].ops.quote_name
    wanted = set(sources) if sources is not None else None
    branches = [
        (model._meta.db_table, _branch(model, quote))
        for model in event_models()
        if wanted is None or model._meta.db_table in wanted
    ]
    if wanted is None or "access_log" in wanted:
        branches.append(("access_log", ACCESS_BRANCH))
    conditions = ["patient_id = %(patient)s"]
    if actor:
        conditions.append("actor_id = %(actor)s")
    if before:
        conditions.append("(occurred_at < %(at)s OR (occurred_at = %(at)s AND key < %(key)s))")
    where = " AND ".join(conditions)
    limited = [
        f"(SELECT * FROM ({sql}) branch WHERE {where} "
        "ORDER BY occurred_at DESC, key DESC LIMIT %(size)s)"
        for _, sql in branches
    ]
    if not limited:
        return "SELECT * FROM activity WHERE false"
    return (
        "SELECT * FROM (" + "\nUNION ALL ".join(limited) + ") page "
        "ORDER BY occurred_at DESC, key DESC LIMIT %(size)s"
    )


# -- Plain words -------------------------------------------------------------------------


@dataclass
class Entry:
    key: str
    occurred_at: dt.datetime
    area: str
    actor: str
    text: str
    #: Shown as a warning: staff's emergency access to the record.
    alert: bool = False


def _value(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(str(item) for item in value.values() if item)
    return str(value)


def _changes(row: Activity, fields: dict[str, Any], ignore: Iterable[str] = ()) -> list[str]:
    before, after = row.previous or {}, row.data
    return [
        _("the %(field)s from “%(old)s” to “%(new)s”")
        % {"field": label, "old": _value(before.get(name)), "new": _value(after.get(name))}
        for name, label in fields.items()
        if name not in ignore and before.get(name) != after.get(name)
    ]


PATIENT_FIELDS = {
    "name": gettext_lazy("name"),
    "dob": gettext_lazy("date of birth"),
    "gender": gettext_lazy("gender"),
    "allergies": gettext_lazy("allergies"),
    "medical_conditions": gettext_lazy("medical conditions"),
    "emergency_contact": gettext_lazy("emergency contact"),
    "timezone": gettext_lazy("time zone"),
}
ROLE_NAMES = {
    "primary": gettext_lazy("primary caregiver"),
    "secondary": gettext_lazy("caregiver"),
    "viewer": gettext_lazy("viewer"),
}


def _patient(row: Activity, actor: str, names: dict[str, str]) -> str:
    data, before = row.data, row.previous or {}
    if row.label == "insert":
        return _("%(actor)s added %(name)s") % {"actor": actor, "name": data["name"]}
    if row.label == "delete":
        return _("%(actor)s removed %(name)s for good") % {"actor": actor, "name": data["name"]}
    if data.get("is_deleted") and not before.get("is_deleted"):
        return _("%(actor)s deleted %(name)s") % {"actor": actor, "name": data["name"]}
    if before.get("is_deleted") and not data.get("is_deleted"):
        return _("%(actor)s restored %(name)s") % {"actor": actor, "name": data["name"]}
    changes = _changes(row, PATIENT_FIELDS)
    return _("%(actor)s changed %(changes)s") % {
        "actor": actor,
        "changes": "; ".join(changes) or _("the profile"),
    }


def _membership(row: Activity, actor: str, names: dict[str, str]) -> str:
    data, before = row.data, row.previous or {}
    member = names.get(data["caregiver_id"], _("someone"))
    role = ROLE_NAMES.get(data["role"], data["role"])
    if row.label == "insert" or (data["is_active"] and before.get("is_active") is False):
        return _("%(member)s joined as %(role)s") % {"member": member, "role": role}
    if before.get("is_active") and not data["is_active"]:
        if row.actor_id and str(row.actor_id) == data["caregiver_id"]:
            return _("%(member)s left the care team") % {"member": member}
        return _("%(actor)s removed %(member)s from the care team") % {
            "actor": actor,
            "member": member,
        }
    if before.get("role") != data["role"]:
        return _("%(actor)s changed %(member)s's role from %(old)s to %(new)s") % {
            "actor": actor,
            "member": member,
            "old": ROLE_NAMES.get(before.get("role", ""), before.get("role")),
            "new": role,
        }
    if before.get("permissions") != data["permissions"]:
        return _("%(actor)s changed what %(member)s may see") % {"actor": actor, "member": member}
    return _("%(actor)s updated %(member)s's membership") % {"actor": actor, "member": member}


def _invitation(row: Activity, actor: str, names: dict[str, str]) -> str:
    data, before = row.data, row.previous or {}
    params = {
        "actor": actor,
        "email": data["email"],
        "role": ROLE_NAMES.get(data["role"], data["role"]),
    }
    if row.label == "insert":
        return _("%(actor)s invited %(email)s as %(role)s") % params
    texts = {
        "accepted": _("%(email)s accepted the invitation"),
        "declined": _("%(email)s declined the invitation"),
        "revoked": _("%(actor)s withdrew the invitation to %(email)s"),
        "expired": _("The invitation to %(email)s expired"),
        "pending": _("%(actor)s re-sent the invitation to %(email)s"),
    }
    if data["status"] != before.get("status"):
        return texts[data["status"]] % params
    if data.get("token_hash") != before.get("token_hash"):
        return texts["pending"] % params
    return _("%(actor)s changed the invitation to %(email)s") % params


PAGE_NAMES = {
    "patient": gettext_lazy("profile"),
    "caregivers": gettext_lazy("care team"),
    "activity": gettext_lazy("activity"),
    "medications": gettext_lazy("medications"),
    "doses": gettext_lazy("doses"),
    "measurements": gettext_lazy("readings"),
    "logs": gettext_lazy("journal"),
    "appointments": gettext_lazy("appointments"),
    "files": gettext_lazy("documents"),
    "exports": gettext_lazy("exports"),
    "timeline": gettext_lazy("timeline"),
}


def _is_break_glass(row: Activity) -> bool:
    return (
        row.source == "access_log"
        and row.label == Action.BREAK_GLASS
        and (row.data.get("detail") or {}).get("event") == "opened"
    )


def _break_glass(row: Activity) -> str:
    """Staff's emergency access, in the active time zone (the patient's)."""
    from django.utils import timezone
    from django.utils.formats import date_format

    detail = row.data.get("detail") or {}
    if detail.get("event") != "opened":
        return _("The emergency access of MedTrack staff was ended early")
    until = dt.datetime.fromisoformat(detail["expires_at"])
    return _("Emergency access by MedTrack staff: %(reason)s, until %(until)s") % {
        "reason": detail.get("reason", "").rstrip("."),
        "until": date_format(timezone.localtime(until), "DATETIME_FORMAT"),
    }


#: Admin pages by what a family calls them (others by the model's plural name).
ADMIN_PAGE_NAMES = {
    "patients.patient": gettext_lazy("the profile"),
    "caregivers.patientcaregiver": gettext_lazy("the care team"),
    "pghistory.middlewareevents": gettext_lazy("the history of changes"),
}


def _staff_view(row: Activity) -> str:
    """A page of the admin that staff opened under emergency access."""
    object_type = row.data.get("object_type") or ""
    what: object = ADMIN_PAGE_NAMES.get(object_type)
    if what is None:
        try:
            what = apps.get_model(object_type)._meta.verbose_name_plural
        except (LookupError, ValueError):
            what = object_type
    return _("MedTrack staff looked at %(what)s in the administration") % {"what": what}


def _access(row: Activity, actor: str, names: dict[str, str]) -> str:
    if row.label == Action.BREAK_GLASS:
        return _break_glass(row)
    if row.label == Action.ADMIN:
        return _staff_view(row)
    object_type = row.data.get("object_type") or ""
    what = PAGE_NAMES.get(object_type, object_type or _("record"))
    if row.label == Action.EXPORT:
        return _("%(actor)s exported %(what)s") % {"actor": actor, "what": what}
    if row.label == Action.DOWNLOAD:
        return _("%(actor)s downloaded a file") % {"actor": actor}
    if object_type == "file":
        return _("%(actor)s opened a file") % {"actor": actor}
    if object_type == "sync_pull":
        return _("%(actor)s synced the record to an app") % {"actor": actor}
    if object_type == "sync_push":
        return _("%(actor)s sent changes from an app") % {"actor": actor}
    return _("%(actor)s looked at the %(what)s page") % {"actor": actor, "what": what}


MEDICATION_FIELDS = {
    "name": gettext_lazy("name"),
    "strength": gettext_lazy("strength"),
    "dose_amount": gettext_lazy("dose"),
    "dose_unit": gettext_lazy("unit"),
    "instructions": gettext_lazy("instructions"),
    "start_date": gettext_lazy("start date"),
    "end_date": gettext_lazy("end date"),
    "quantity_on_hand": gettext_lazy("stock"),
    "refill_threshold": gettext_lazy("refill level"),
    "prn_max_per_day": gettext_lazy("daily maximum"),
}
STATUS_VERBS = {
    "active": gettext_lazy("%(actor)s resumed %(name)s"),
    "paused": gettext_lazy("%(actor)s paused %(name)s"),
    "discontinued": gettext_lazy("%(actor)s stopped %(name)s"),
}


def _medication(row: Activity, actor: str, names: dict[str, str]) -> str:
    data, before = row.data, row.previous or {}
    name = data["name"]
    if row.label == "insert":
        return _("%(actor)s added %(name)s") % {
            "actor": actor,
            "name": f"{name} {data['strength']}".strip(),
        }
    if row.label == "delete":
        return _("%(actor)s removed %(name)s") % {"actor": actor, "name": name}
    if data["status"] != before.get("status"):
        return str(STATUS_VERBS[data["status"]]) % {"actor": actor, "name": name}
    changes = _changes(row, MEDICATION_FIELDS)
    return _("%(actor)s changed %(name)s's %(changes)s") % {
        "actor": actor,
        "name": name,
        "changes": "; ".join(c.removeprefix(_("the") + " ") for c in changes) or _("details"),
    }


def _schedule(row: Activity, actor: str, names: dict[str, str]) -> str:
    from medications.recurrence import Recurrence, describe

    data = row.data
    when = describe(
        Recurrence(
            frequency=data["frequency"],
            times=tuple(dt.time.fromisoformat(t) for t in data["times_of_day"]),
            start=dt.date.fromisoformat(data["start_date"]),
            weekdays=frozenset(data["days_of_week"] or ()),
            interval=data["interval"] or 1,
        )
    )
    if row.label == "insert":
        return _("%(actor)s scheduled a medication: %(when)s") % {"actor": actor, "when": when}
    if row.label == "delete":
        return _("%(actor)s removed a schedule (%(when)s)") % {"actor": actor, "when": when}
    if data.get("end_date") and data.get("end_date") != (row.previous or {}).get("end_date"):
        return _("%(actor)s ended a schedule (%(when)s) on %(date)s") % {
            "actor": actor,
            "when": when,
            "date": data["end_date"],
        }
    return _("%(actor)s changed a schedule to %(when)s") % {"actor": actor, "when": when}


def _dose(row: Activity, actor: str, names: dict[str, str]) -> str:
    status = row.data["status"]
    texts = {
        "taken": _("%(actor)s recorded a dose as taken"),
        "skipped": _("%(actor)s recorded a dose as skipped"),
        "missed": _("A dose was marked missed"),
        "pending": _("%(actor)s undid a dose record"),
    }
    return texts.get(status, _("%(actor)s changed a dose")) % {"actor": actor}


def _reading_text(data: dict[str, Any]) -> tuple[str, str]:
    """(what, value) of a reading's history row, in the type's first unit."""
    from decimal import Decimal

    from measurements.kinds import KINDS
    from measurements.models import Measurement
    from measurements.selectors import format_reading

    kind = KINDS[data["type"]]
    secondary = data.get("value_secondary")
    reading = Measurement(
        type=data["type"],
        unit=data["unit"],
        value=Decimal(str(data["value"])),
        value_secondary=None if secondary is None else Decimal(str(secondary)),
    )
    what = data["label"] if data["type"] == "other" else kind.label.lower()
    return what, format_reading(reading, kind.unit_for(None))


def _measurement(row: Activity, actor: str, names: dict[str, str]) -> str:
    what, value = _reading_text(row.data)
    params = {"actor": actor, "what": what, "value": value}
    if row.label == "insert":
        return _("%(actor)s recorded %(what)s: %(value)s") % params
    if row.label == "delete":
        return _("%(actor)s deleted a %(what)s reading (%(value)s)") % params
    return _("%(actor)s changed a %(what)s reading (now %(value)s)") % params


def _threshold(row: Activity, actor: str, names: dict[str, str]) -> str:
    from decimal import Decimal

    from measurements.kinds import KINDS
    from measurements.models import MeasurementThreshold
    from measurements.trends import describe_target

    data = row.data
    kind = KINDS[data["type"]]
    bounds = {
        name: None if data.get(name) is None else Decimal(str(data[name]))
        for name in ("min_value", "max_value", "min_secondary", "max_secondary")
    }
    threshold = MeasurementThreshold(type=data["type"], is_active=data["is_active"], **bounds)
    params = {"actor": actor, "what": kind.label.lower()}
    if row.label == "delete" or not data["is_active"]:
        return _("%(actor)s stopped flagging %(what)s readings") % params
    target = describe_target(threshold, kind, kind.unit_for(None))
    return _("%(actor)s set the %(what)s target to %(target)s") % {**params, "target": target}


def _journal(row: Activity, actor: str, names: dict[str, str]) -> str:
    from django.utils.formats import date_format

    day = date_format(dt.date.fromisoformat(row.data["log_date"]), _("j F Y"))
    texts = {
        "insert": _("%(actor)s wrote the journal for %(day)s"),
        "delete": _("%(actor)s deleted a journal entry for %(day)s"),
    }
    template = texts.get(row.label, _("%(actor)s edited the journal for %(day)s"))
    return template % {"actor": actor, "day": day}


def _appointment(row: Activity, actor: str, names: dict[str, str]) -> str:
    data, before = row.data, row.previous or {}
    params = {"actor": actor, "title": data["title"]}
    if row.label == "insert":
        return _("%(actor)s added the appointment “%(title)s”") % params
    if row.label == "delete":
        return _("%(actor)s deleted the appointment “%(title)s”") % params
    if data["status"] != before.get("status"):
        texts = {
            "cancelled": _("%(actor)s cancelled “%(title)s”"),
            "completed": _("%(actor)s marked “%(title)s” as done"),
            "missed": _("%(actor)s marked “%(title)s” as missed"),
            "scheduled": _("%(actor)s put “%(title)s” back on the calendar"),
        }
        return texts[data["status"]] % params
    if data.get("starts_at") != before.get("starts_at"):
        return _("%(actor)s moved “%(title)s”") % params
    if data.get("escort_id") != before.get("escort_id"):
        escort = names.get(str(data.get("escort_id")), _("nobody"))
        return _("%(actor)s asked %(escort)s to take them to “%(title)s”") % {
            **params,
            "escort": escort,
        }
    return _("%(actor)s changed the appointment “%(title)s”") % params


def _file(row: Activity, actor: str, names: dict[str, str]) -> str:
    data, before = row.data, row.previous or {}
    params = {"actor": actor, "name": data["file_name"]}
    if row.label == "insert":
        return _("%(actor)s added the file “%(name)s”") % params
    if row.label == "delete":
        return _("%(actor)s deleted the file “%(name)s”") % params
    if before.get("file_name") not in (None, data["file_name"]):
        return _("%(actor)s renamed “%(old)s” to “%(name)s”") % {
            **params,
            "old": before["file_name"],
        }
    if data.get("measurement_id") is None and before.get("measurement_id"):
        return _("“%(name)s” was kept when its reading was deleted") % params
    if data.get("log_id") is None and before.get("log_id"):
        return _("“%(name)s” was kept when its journal entry was deleted") % params
    return _("%(actor)s changed the note on “%(name)s”") % params


def _share(row: Activity, actor: str, names: dict[str, str]) -> str:
    data = row.data
    params = {"actor": actor, "person": names.get(str(data["shared_with"]), _("someone"))}
    if data.get("revoked_at"):
        return _("%(actor)s stopped sharing a file with %(person)s") % params
    return _("%(actor)s shared a file with %(person)s") % params


def _export(row: Activity, actor: str, names: dict[str, str]) -> str:
    from exports.models import Format

    data = row.data
    what = str(Format(data["format"]).label) if data.get("format") in Format.values else ""
    if row.label == "insert":
        return _("%(actor)s asked for an export: %(what)s") % {"actor": actor, "what": what}
    texts = {
        "completed": _("The export (%(what)s) was ready"),
        "failed": _("The export (%(what)s) failed"),
        "expired": _("The export (%(what)s) expired and was deleted"),
    }
    return str(texts.get(data.get("status"), _("The export (%(what)s) was being made"))) % {
        "what": what
    }


DESCRIBERS: dict[str, Callable[[Activity, str, dict[str, str]], str]] = {
    "patients_patientevent": _patient,
    "caregivers_patientcaregiverevent": _membership,
    "caregivers_caregiverinvitationevent": _invitation,
    "medications_medicationevent": _medication,
    "medications_medicationscheduleevent": _schedule,
    "doses_doseevent": _dose,
    "measurements_measurementevent": _measurement,
    "measurements_measurementthresholdevent": _threshold,
    "journal_dailylogevent": _journal,
    "appointments_appointmentevent": _appointment,
    "files_fileevent": _file,
    "files_fileshareevent": _share,
    "exports_exportjobevent": _export,
    "access_log": _access,
}


def describe(rows: list[Activity], names: dict[str, str]) -> list[Entry]:
    entries = []
    for row in rows:
        actor = names.get(str(row.actor_id), _("MedTrack")) if row.actor_id else _("MedTrack")
        describer = DESCRIBERS.get(row.source)
        text = (
            describer(row, actor, names)
            if describer
            else _("%(actor)s made a change") % {"actor": actor}
        )
        entries.append(
            Entry(
                row.key,
                row.occurred_at,
                AREAS.get(row.source, "other"),
                actor,
                text,
                alert=_is_break_glass(row),
            )
        )
    return entries
