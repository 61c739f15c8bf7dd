"""gunicorn settings for MedTrack: ``gunicorn -c gunicorn.conf.py medtrack.wsgi``.

Everything an operator tunes comes from the environment (README "Deploying");
any other gunicorn option can be given in ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

wsgi_app = "medtrack.wsgi:application"

# -- Where and how many ---------------------------------------------------------
#: BIND wins (e.g. "unix:/run/medtrack/gunicorn.sock" or "127.0.0.1:8000");
#: else all interfaces on PORT, for a container or a load balancer.
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
#: The usual 2 x cores + 1: requests wait on PostgreSQL more than on the CPU.
#: Each worker holds one database connection per thread: mind the server's
#: max_connections (or put pgbouncer in between) when adding hosts.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
#: Threaded workers keep idle keep-alive connections without holding a worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 1)

# -- Timeouts -----------------------------------------------------------------------
#: A request that takes longer is killed. The slow work (exports, e-mail) runs in
#: the task worker, so 30 s is generous for a page; uploads of FILE_MAX_MB arrive
#: through the proxy, which buffers them.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
#: After SIGTERM (a deploy), workers get this long to finish what they are doing.
graceful_timeout = 30
#: Seconds an idle keep-alive connection stays open. Behind a load balancer that
#: reuses connections (AWS ALB: 60 s idle), make it longer than the balancer's.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)
#: The workers' heartbeat files on tmpfs: a slow or full disk cannot stall them.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108

# -- Behind a proxy -------------------------------------------------------------------
#: Addresses whose X-Forwarded-Proto/-For gunicorn believes (the proxy's; "*" when
#: only the load balancer can reach this host). The app's own client-address rule
#: is TRUSTED_PROXY_COUNT.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

#: Off: each worker imports the app itself after the fork, so no database
#: connection or open file is ever shared between processes, and
#: ``systemctl reload`` (SIGHUP) starts workers on the new code. The cost is a
#: second or two of start-up per worker and some memory.
preload_app = False
#: No runtime control socket (gunicorn 24+): systemd or the platform does the
#: controlling, and several instances on one host would fight over its path.
control_socket_disable = True

# -- Logs ---------------------------------------------------------------------------
# gunicorn's own messages in the app's format (LOG_FORMAT, json in production).
# Its access log is off by default: the app writes one line per request
# (medtrack.request) with the request id and user id, and with the secret
# tokens of calendar-feed, invitation and reset links replaced by the URL's
# pattern; gunicorn's line would write the raw path. GUNICORN_ACCESS_LOG=true
# adds it (as JSON: address, method, path, status, bytes, duration).
_debug = os.environ.get("DEBUG", "").lower() in ("1", "true", "yes", "on")
_format = os.environ.get("LOG_FORMAT") or ("text" if _debug else "json")
_access = os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("1", "true", "yes", "on")


class JsonAccessLogger(Logger):
    """gunicorn's logger, with each access-log line as one JSON object."""

    @property
    def access_log_enabled(self) -> bool:
        return _access

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not _access:
            return
        status = str(resp.status).split(None, 1)[0]
        headers = {name.lower(): value for name, value in resp.headers}
        self.access_log.info(
            "%s %s %s",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            status,
            extra={
                "remote_addr": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "status": int(status) if status.isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "request_id": headers.get("x-request-id", ""),
                "user_agent": environ.get("HTTP_USER_AGENT", ""),
            },
        )


logger_class = JsonAccessLogger
accesslog = "-" if _access else None
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "medtrack.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": _format,
        }
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
if _format not in ("json", "text"):
    raise SystemExit(f"LOG_FORMAT={_format!r}: use json or text.")
