"""The export task, run by ``manage.py db_worker`` (its argument: the job's id)."""

from __future__ import annotations

import uuid

from django.tasks import task


@task()
def run_export(job_id: str) -> str:
    from exports.services import export_run

    return export_run(uuid.UUID(job_id))
