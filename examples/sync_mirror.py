#!/usr/bin/env python3
"""A small offline mirror of MedTrack, built on the sync API (an example client).

It keeps everything you may read in one local JSON file, lets you record doses
while offline, and sends them when you are back online::

    python examples/sync_mirror.py --server https://medtrack.example --token mt_… \\
        --store rosa.json pull              # fetch what changed since last time
    python examples/sync_mirror.py --store rosa.json doses-today
    python examples/sync_mirror.py --store rosa.json take DOSE_ID [--at 2026-11-25T08:05]
    python examples/sync_mirror.py --server … --token … --store rosa.json push

The token is a personal token with the ``sync`` scope (Account → Tokens on the
web). ``--server`` and ``--token`` may also come from ``MEDTRACK_SERVER`` and
``MEDTRACK_TOKEN``; ``doses-today``, ``take``, ``outbox`` and ``discard`` work
offline and need neither.

The store file::

    {
      "client_id": "kitchen-tablet",   # sent with every request (the server's sync log)
      "cursor": "…",                   # opaque: where the last pull stopped
      "entities": {                    # entity → id → what the server last sent
        "doses": {"<id>": {"version": 812, "patient_id": "<id>", "data": {…}}},
        …
      },
      "outbox": [ {change}, … ]        # changes made offline, not yet accepted
    }

Exit status: 0 when all is well; 1 when the server cannot be reached or answers
an error this script does not handle (the message says which); 3 when a push
left changes in the outbox because the server answered ``conflict`` or
``error`` for them (they are listed; ``discard ID`` drops one).

Only the standard library and ``requests`` are used: copy this file anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

#: The server takes at most 200 changes per push.
PUSH_BATCH = 200
#: How often a request answered 429 (rate limited) is tried again, and the longest wait.
MAX_RETRIES = 5
MAX_WAIT_SECONDS = 120
TIMEOUT_SECONDS = 30
DEFAULT_CLIENT_ID = "sync-mirror"

#: Results of a pushed change after which it leaves the outbox.
DONE = ("applied", "unchanged")


class SyncError(Exception):
    """The server could not be reached, or answered an error we do not handle."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status, self.code = status, code


# -- The store (a JSON file) -------------------------------------------------------------


def empty_store() -> dict[str, Any]:
    return {"client_id": "", "cursor": "", "entities": {}, "outbox": []}


def load_store(path: str | Path) -> dict[str, Any]:
    """The store at ``path``, or a new empty one when the file does not exist yet."""
    path = Path(path)
    if not path.exists():
        return empty_store()
    with path.open(encoding="utf-8") as file:
        store = json.load(file)
    return {**empty_store(), **store}


def save_store(path: str | Path, store: dict[str, Any]) -> None:
    """Write the store atomically: a crash leaves the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(store, file, indent=1, ensure_ascii=False)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def records(store: dict[str, Any], entity: str) -> dict[str, dict[str, Any]]:
    """The mirror's records of one entity (id → {version, patient_id, data})."""
    return store["entities"].setdefault(entity, {})


# -- HTTP ---------------------------------------------------------------------------------


def make_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update(
        {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": "medtrack-sync-mirror/1",
        }
    )
    return session


def _retry_after(response: requests.Response) -> float:
    """Seconds the server asks us to wait (``Retry-After``: seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    seconds: float = 1
    if value.isdigit():
        seconds = int(value)
    elif value:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
        except (TypeError, ValueError):
            pass
    return min(max(seconds, 1), MAX_WAIT_SECONDS)


def _error(response: requests.Response) -> SyncError:
    """A SyncError with the server's own words (``{"error": {"code", "message"}}``)."""
    code, message = "", response.text[:200]
    try:
        error = response.json().get("error") or {}
        code, message = error.get("code", ""), error.get("message", message)
    except (ValueError, AttributeError):
        pass
    return SyncError(
        f"HTTP {response.status_code} {code or response.reason}: {message}",
        status=response.status_code,
        code=code,
    )


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # (one place to replace, for a test that travels in time)


def api(session: requests.Session, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    """One API call; the JSON answer. Waits and retries (a few times) when rate limited."""
    for attempt in range(MAX_RETRIES + 1):
        try:
            response = session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            raise SyncError(f"Cannot reach the server: {error}") from None
        if response.status_code == 429 and attempt < MAX_RETRIES:
            wait = _retry_after(response)
            print(f"Rate limited: waiting {wait:.0f} s before trying again.")
            _sleep(wait)
            continue
        if not response.ok:
            raise _error(response)
        try:
            return response.json()
        except ValueError:
            raise SyncError(
                f"The server did not answer JSON (HTTP {response.status_code})."
            ) from None
    raise AssertionError("unreachable")  # the last attempt returns or raises


# -- Pull ---------------------------------------------------------------------------------


def apply_change(store: dict[str, Any], change: dict[str, Any]) -> str:
    """Apply one pulled change to the mirror: "upsert", "delete" or "drop-patient"."""
    entity, record_id, patient_id = change["entity"], change["id"], change["patient_id"]
    if change.get("deleted"):
        if entity == "patients":
            # The patient left my list (deleted, I left the team, or what I may see
            # changed: then it is sent whole again). Everything of theirs goes.
            for held in store["entities"].values():
                for key in [key for key, row in held.items() if row["patient_id"] == patient_id]:
                    del held[key]
            records(store, "patients").pop(record_id, None)
            return "drop-patient"
        records(store, entity).pop(record_id, None)
        return "delete"
    records(store, entity)[record_id] = {
        "version": change["version"],
        "patient_id": patient_id,
        "data": change["data"],
    }
    return "upsert"


def mirror_pull(
    session: requests.Session,
    server: str,
    store: dict[str, Any],
    *,
    limit: int | None = None,
    save: Callable[[], None] | None = None,
) -> Counter[str]:
    """Fetch every page of changes since the store's cursor, until ``has_more`` is false.

    The store (and its cursor) is saved after each page (``save``), so a pull cut
    short goes on where it stopped. Returns counts: pages, upsert, delete, drop-patient.
    """
    counts: Counter[str] = Counter()
    restarted = False
    while True:
        params: dict[str, Any] = {"cursor": store.get("cursor", "")}
        if limit:
            params["limit"] = limit
        if store.get("client_id"):
            params["client_id"] = store["client_id"]
        try:
            page = api(session, "GET", f"{server}/api/v1/sync/changes", params=params)
        except SyncError as error:
            if error.code != "invalid_cursor" or restarted:
                raise
            # The server no longer knows our cursor: start again from nothing (the
            # outbox is kept; it is pushed as before).
            print("The server did not accept our cursor: fetching everything again.")
            store["cursor"], store["entities"], restarted = "", {}, True
            continue
        for change in page["changes"]:
            counts[apply_change(store, change)] += 1
        store["cursor"] = page["cursor"]
        store["server_time"] = page.get("server_time")
        counts["pages"] += 1
        if save:
            save()
        if not page["has_more"]:
            return counts


# -- Doses and the outbox -----------------------------------------------------------------


def parse_time(text: str, zone: dt.tzinfo) -> dt.datetime:
    """An ISO 8601 time; without an offset it is on the patient's clock."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def patient_zone(store: dict[str, Any], patient_id: str) -> ZoneInfo:
    patient = records(store, "patients").get(patient_id)
    return ZoneInfo((patient and patient["data"].get("timezone")) or "UTC")


def doses_today(store: dict[str, Any], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each patient's doses due today on the patient's own clock, in time order.

    Each: id, patient_id, patient, medication, due (local), status (the server's),
    queued (the outbox change for this dose, or None).
    """
    now = now or dt.datetime.now(dt.UTC)
    queued = {item["id"]: item for item in store["outbox"] if item["entity"] == "doses"}
    medications = records(store, "medications")
    found = []
    for dose_id, row in records(store, "doses").items():
        dose = row["data"]
        if not dose.get("scheduled_for"):
            continue  # an as-needed dose: not due at a time
        zone = patient_zone(store, row["patient_id"])
        due = dt.datetime.fromisoformat(dose["scheduled_for"]).astimezone(zone)
        if due.date() != now.astimezone(zone).date():
            continue
        medication = medications.get(dose["medication_id"] or "", {}).get("data", {})
        patient = records(store, "patients").get(row["patient_id"], {}).get("data", {})
        found.append(
            {
                "id": dose_id,
                "patient_id": row["patient_id"],
                "patient": patient.get("name", row["patient_id"]),
                "medication": medication.get("name", "?"),
                "due": due,
                "status": dose["status"],
                "queued": queued.get(dose_id),
            }
        )
    return sorted(found, key=lambda dose: (dose["patient"], dose["due"], dose["medication"]))


def outbox_add(store: dict[str, Any], change: dict[str, Any]) -> None:
    """Queue a change; a newer change of the same record replaces the queued one."""
    store["outbox"] = [
        item
        for item in store["outbox"]
        if (item["entity"], item["id"]) != (change["entity"], change["id"])
    ]
    store["outbox"].append(change)


def take_dose(store: dict[str, Any], dose_id: str, at: str | None = None) -> dict[str, Any]:
    """Record (in the outbox) that a dose was taken at ``at`` (default: now)."""
    row = records(store, "doses").get(dose_id)
    if row is None:
        raise KeyError(dose_id)
    zone = patient_zone(store, row["patient_id"])
    when = parse_time(at, zone) if at else dt.datetime.now(dt.UTC)
    change = {
        "entity": "doses",
        "op": "upsert",
        "id": dose_id,
        "patient_id": row["patient_id"],
        # The version we saw: the server uses it to tell our edit from a newer one.
        "base_version": row["version"],
        "data": {"status": "taken", "taken_at": utc_text(when)},
    }
    outbox_add(store, change)
    return change


# -- Push ---------------------------------------------------------------------------------


def _post_batch(
    session: requests.Session, server: str, store: dict[str, Any], batch: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The server's results for ``batch`` (in the same order); halves a batch too large."""
    body = {"client_id": store.get("client_id") or DEFAULT_CLIENT_ID, "changes": batch}
    try:
        answer = api(session, "POST", f"{server}/api/v1/sync/push", json=body)
    except SyncError as error:
        if error.status != 413 or len(batch) == 1:
            raise
        half = len(batch) // 2
        return [
            *_post_batch(session, server, store, batch[:half]),
            *_post_batch(session, server, store, batch[half:]),
        ]
    results = answer["results"]
    if [(r["entity"], r["id"]) for r in results] != [(c["entity"], c["id"]) for c in batch]:
        raise SyncError("The server's results do not match the changes sent.")
    return results


def _describe(store: dict[str, Any], result: dict[str, Any]) -> str:
    """One line for a change the server did not take."""
    what = f"{result['entity']} {result['id']}"
    if result["status"] == "error":
        error = result.get("error") or {}
        fields = "; ".join(
            f"{name}: {' '.join(messages)}"
            for name, messages in (error.get("fields") or {}).items()
        )
        return f"error {what}: {error.get('message', '')}" + (f" ({fields})" if fields else "")
    server = (result.get("conflict") or {}).get("server") or {}
    record = server.get("record") or result.get("record") or {}
    if result["entity"] == "doses" and record:
        return (
            f"conflict {what}: the server has it {record.get('status')}"
            f" (taken at {record.get('taken_at') or '-'}, by {record.get('recorded_by_id')});"
            " it keeps its version"
        )
    return f"conflict {what}: the server has version {server.get('version')}, kept"


def mirror_push(
    session: requests.Session,
    server: str,
    store: dict[str, Any],
    *,
    save: Callable[[], None] | None = None,
    out: Callable[[str], None] = print,
) -> Counter[str]:
    """Send the outbox in batches; drop what the server applied (or already had).

    Changes answered ``conflict`` or ``error`` stay in the outbox and are reported.
    The mirror takes the server's record of each change it accepted. Returns counts
    by result status.
    """
    counts: Counter[str] = Counter()
    pending = list(store["outbox"])
    for start in range(0, len(pending), PUSH_BATCH):
        batch = pending[start : start + PUSH_BATCH]
        results = _post_batch(session, server, store, batch)
        finished = set()
        for change, result in zip(batch, results, strict=True):
            counts[result["status"]] += 1
            if result["status"] in DONE:
                finished.add((change["entity"], change["id"]))
                if change["op"] == "delete":
                    apply_change(store, {**change, "deleted": True})
                elif result.get("record") is not None:
                    apply_change(
                        store,
                        {
                            "entity": change["entity"],
                            "id": change["id"],
                            "patient_id": change["patient_id"],
                            "version": result["version"],
                            "data": result["record"],
                        },
                    )
            else:
                out("  " + _describe(store, result))
        store["outbox"] = [
            item for item in store["outbox"] if (item["entity"], item["id"]) not in finished
        ]
        if save:
            save()  # after each batch: a batch sent twice would be harmless, but why
    return counts


# -- Commands -----------------------------------------------------------------------------


def _summary(store: dict[str, Any]) -> str:
    held = [f"{len(rows)} {name}" for name, rows in sorted(store["entities"].items()) if rows]
    return ", ".join(held) or "nothing"


def _print_pull(counts: Counter[str], store: dict[str, Any]) -> None:
    dropped = f", {counts['drop-patient']} patients dropped" if counts["drop-patient"] else ""
    print(
        f"Pulled {counts['pages']} page(s): {counts['upsert']} updated, "
        f"{counts['delete']} removed{dropped}. Mirror: {_summary(store)}."
    )


def _connect(args: argparse.Namespace) -> tuple[requests.Session, str]:
    if not args.server or not args.token:
        raise SyncError("Give --server and --token (or MEDTRACK_SERVER and MEDTRACK_TOKEN).")
    return make_session(args.token), args.server.rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sync_mirror.py", description="An offline mirror of MedTrack (the sync API)."
    )
    parser.add_argument("--server", default=os.environ.get("MEDTRACK_SERVER"), help="base URL")
    parser.add_argument(
        "--token", default=os.environ.get("MEDTRACK_TOKEN"), help="a token with the sync scope"
    )
    parser.add_argument("--store", required=True, help="the mirror's JSON file")
    parser.add_argument("--client-id", help=f"this device's name (default {DEFAULT_CLIENT_ID})")
    parser.add_argument("--limit", type=int, help="changes per pulled page (server default)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("pull", help="fetch what changed since the last pull")
    commands.add_parser("doses-today", help="list today's doses (each patient's own day)")
    take = commands.add_parser("take", help="record offline that a dose was taken")
    take.add_argument("dose_id")
    take.add_argument("--at", help="when (ISO 8601; without offset: the patient's clock)")
    commands.add_parser("push", help="send the outbox, then pull")
    commands.add_parser("outbox", help="list the changes waiting to be sent")
    discard = commands.add_parser("discard", help="drop a change from the outbox")
    discard.add_argument("record_id")
    return parser


def main(argv: Iterable[str] | None = None) -> int:
    args = build_parser().parse_args(None if argv is None else list(argv))
    store = load_store(args.store)
    if args.client_id:
        store["client_id"] = args.client_id
    store["client_id"] = store.get("client_id") or DEFAULT_CLIENT_ID

    def save() -> None:
        save_store(args.store, store)

    try:
        if args.command == "pull":
            session, server = _connect(args)
            _print_pull(mirror_pull(session, server, store, limit=args.limit, save=save), store)
        elif args.command == "doses-today":
            due = doses_today(store)
            if not due:
                print("No doses due today in the mirror (pull first?).")
            for dose in due:
                queued = dose["queued"]
                note = f"  [outbox: {queued['data'].get('status')}]" if queued else ""
                print(
                    f"{dose['id']}  {dose['patient']}  {dose['due']:%H:%M}  "
                    f"{dose['medication']}  {dose['status']}{note}"
                )
        elif args.command == "take":
            try:
                change = take_dose(store, args.dose_id, args.at)
            except KeyError:
                print(f"No dose {args.dose_id} in the mirror (pull first?).", file=sys.stderr)
                return 1
            except ValueError as error:
                print(f"--at: {error}", file=sys.stderr)
                return 1
            save()
            print(
                f"Queued: dose {args.dose_id} taken at {change['data']['taken_at']} "
                f"({len(store['outbox'])} change(s) in the outbox)."
            )
        elif args.command == "push":
            session, server = _connect(args)
            if not store["outbox"]:
                print("The outbox is empty.")
                counts: Counter[str] = Counter()
            else:
                counts = mirror_push(session, server, store, save=save)
                print(
                    f"Pushed {counts.total()} change(s): {counts['applied']} applied, "
                    f"{counts['unchanged']} unchanged, {counts['conflict']} conflict(s), "
                    f"{counts['error']} error(s); {len(store['outbox'])} left in the outbox."
                )
            _print_pull(mirror_pull(session, server, store, limit=args.limit, save=save), store)
            if counts["conflict"] or counts["error"]:
                return 3
        elif args.command == "outbox":
            for item in store["outbox"]:
                print(f"{item['entity']} {item['id']} {item['op']} {json.dumps(item['data'])}")
            print(f"{len(store['outbox'])} change(s) waiting.")
        elif args.command == "discard":
            before = len(store["outbox"])
            store["outbox"] = [item for item in store["outbox"] if item["id"] != args.record_id]
            save()
            print(f"Dropped {before - len(store['outbox'])} change(s).")
    except SyncError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
