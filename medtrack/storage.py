"""The S3 storage's options, from the environment (used by settings, and by the
S3 tests against a local S3-compatible server, so both use the same ones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def s3_options(
    bucket: str, env: Callable[[str], str], *, expire_seconds: int = 300, encrypt: bool = True
) -> dict[str, Any]:
    """Private objects; every URL presigned for ``expire_seconds``; names never reused."""
    return {
        "bucket_name": bucket,
        "region_name": env("S3_REGION") or None,
        "endpoint_url": env("S3_ENDPOINT_URL") or None,
        "access_key": env("S3_ACCESS_KEY_ID") or None,
        "secret_key": env("S3_SECRET_ACCESS_KEY") or None,
        "addressing_style": env("S3_ADDRESSING_STYLE") or None,
        "signature_version": "s3v4",
        "default_acl": None,  # the bucket's own (private) policy
        "querystring_auth": True,  # every URL is presigned
        "querystring_expire": expire_seconds,
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": "AES256"} if encrypt else {},
    }


def s3_origins(bucket: str, env: Callable[[str], str]) -> list[str]:
    """The origins presigned URLs may point at (for the Content-Security-Policy):
    the configured endpoint, else AWS's virtual-host and path styles."""
    endpoint = env("S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://{bucket}.{parts.netloc}"]
    region = env("S3_REGION")
    host = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
    return [f"https://{bucket}.{host}", f"https://{host}"]
