"""The OpenAPI 3 document of the sync API, generated from ``sync.entities``.

The record schemas come from the same field lists and model fields the API
reads and parses, so the document cannot drift from the code; a test
validates it and a fuzzer (schemathesis) checks live answers against it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models

from sync import pull, push
from sync.entities import ENTITIES, PSEUDO_FIELDS, Entity, column_for

UUID = {"type": "string", "format": "uuid"}


def _schema(column: models.Field[Any, Any]) -> dict[str, Any]:
    if isinstance(column, ArrayField):
        return {"type": "array", "items": _schema(column.base_field)}
    if isinstance(column, models.ForeignKey | models.UUIDField):
        schema: dict[str, Any] = dict(UUID)
    elif isinstance(column, models.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(column, models.IntegerField):
        schema = {"type": "integer"}
    elif isinstance(column, models.DecimalField):
        schema = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
    elif isinstance(column, models.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(column, models.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(column, models.TimeField):
        schema = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}
    elif isinstance(column, models.JSONField):
        schema = {"type": "object"}
    else:
        schema = {"type": "string"}
    if column.choices:
        schema["enum"] = [value for value, _label in column.flatchoices]
        if column.blank and not column.null and "" not in schema["enum"]:
            schema["enum"].append("")
    if column.null:
        schema["nullable"] = True
        if "enum" in schema:
            schema["enum"].append(None)
    return schema


def _record(entity: Entity) -> dict[str, Any]:
    properties = {name: _schema(column_for(entity, name)) for name in entity.fields}
    properties.update(entity.extra)
    return {
        "type": "object",
        "description": entity.description or f"A record of {entity.name}.",
        "properties": properties,
        "required": [*entity.fields, *entity.extra],
        "additionalProperties": False,
    }


def _write(entity: Entity) -> dict[str, Any]:
    names = dict.fromkeys([*entity.creatable, *entity.editable])
    properties = {
        name: PSEUDO_FIELDS[name] if name in PSEUDO_FIELDS else _schema(column_for(entity, name))
        for name in names
    }
    return {
        "type": "object",
        "description": (
            f"Fields a client may send for {entity.name}. "
            f"Creating: {', '.join(entity.creatable) or 'not by sync'}. "
            f"Changing: {', '.join(entity.editable) or 'not by sync'}. "
            f"Deleting: {'yes' if entity.deletable else 'not by sync'}."
        ),
        "properties": properties,
        "additionalProperties": False,
    }


def _error() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "The request is not valid (the message says why).",
        401: "No valid personal token with the sync scope.",
        413: "Too large: send fewer changes at once.",
        415: "Send JSON.",
        429: "Too many requests for this token: wait the seconds in Retry-After.",
    }
    out: dict[str, Any] = {}
    for code in codes:
        out[str(code)] = {
            "description": text[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if code == 429:
            out[str(code)]["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "required": True}
            }
    return out


def document(server: str) -> dict[str, Any]:
    names = list(ENTITIES)
    schemas: dict[str, Any] = {"Error": _error()}
    for entity in ENTITIES.values():
        schemas[f"{entity.name}_record"] = _record(entity)
        schemas[f"{entity.name}_write"] = _write(entity)
    schemas["Change"] = {
        "type": "object",
        "required": ["entity", "id", "patient_id", "deleted", "version", "data"],
        "additionalProperties": False,
        "properties": {
            "entity": {"type": "string", "enum": names},
            "id": UUID,
            "patient_id": UUID,
            "deleted": {
                "type": "boolean",
                "description": "A tombstone. For entity patients: drop the patient and "
                "everything of theirs (you can no longer see them).",
            },
            "version": {
                "type": "integer",
                "nullable": True,
                "description": "Send it back as base_version when you change the record.",
            },
            "data": {
                "nullable": True,
                "anyOf": [{"$ref": f"#/components/schemas/{name}_record"} for name in names],
            },
        },
    }
    schemas["PushItem"] = {
        "type": "object",
        "required": ["entity", "op", "id", "patient_id"],
        "properties": {
            "entity": {"type": "string", "enum": names},
            "op": {"type": "string", "enum": ["upsert", "delete"]},
            "id": {**UUID, "description": "Made by the client for a new record."},
            "patient_id": UUID,
            "base_version": {
                "type": "integer",
                "nullable": True,
                "description": "The version the edit was made from (required to change "
                "an existing record).",
            },
            "base": {
                "type": "object",
                "nullable": True,
                "description": "The client's values, at base_version, of the fields it "
                "changes: an edit of fields nobody else changed meanwhile is applied.",
            },
            "data": {
                "type": "object",
                "description": "The fields to set: see the <entity>_write schemas.",
            },
        },
    }
    schemas["PushResult"] = {
        "type": "object",
        "required": ["entity", "id", "status"],
        "properties": {
            "entity": {"type": "string"},
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["applied", "unchanged", "conflict", "error"]},
            "version": {"type": "integer", "nullable": True},
            "record": {"type": "object", "nullable": True},
            "conflict": {
                "type": "object",
                "description": "Both versions: the server kept its own.",
                "properties": {
                    "server": {"type": "object"},
                    "client": {"type": "object"},
                },
            },
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    }
    client_id = {
        "name": "client_id",
        "in": "query",
        "required": False,
        "description": "Your device's name, shown to the user beside its last sync.",
        "schema": {"type": "string", "maxLength": 100},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "MedTrack sync API",
            "version": "1",
            "description": (
                "Keep a local copy of the patients you care for and send back what you "
                "recorded offline. Authenticate with a personal token with the sync scope "
                "(Settings → Apps that sync). Pull pages of changes with the cursor of the "
                "previous page until has_more is false; push batches of changes with ids "
                "you make yourself: sending a batch again changes nothing."
            ),
        },
        "servers": [{"url": server.rstrip("/")}],
        "security": [{"token": []}],
        "paths": {
            "/api/v1/sync/changes": {
                "get": {
                    "operationId": "pullChanges",
                    "summary": "Changes since a cursor, for every patient you can see",
                    "parameters": [
                        {
                            "name": "cursor",
                            "in": "query",
                            "required": False,
                            "description": "The cursor of the previous answer; none to start.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": pull.MAX_LIMIT,
                                "default": pull.DEFAULT_LIMIT,
                            },
                        },
                        client_id,
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of changes.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": [
                                            "changes",
                                            "cursor",
                                            "has_more",
                                            "server_time",
                                        ],
                                        "additionalProperties": False,
                                        "properties": {
                                            "changes": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Change"},
                                            },
                                            "cursor": {"type": "string"},
                                            "has_more": {"type": "boolean"},
                                            "server_time": {
                                                "type": "string",
                                                "format": "date-time",
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/v1/sync/push": {
                "post": {
                    "operationId": "pushChanges",
                    "summary": "Apply a batch of changes (each on its own)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["changes"],
                                    "properties": {
                                        "client_id": {"type": "string", "maxLength": 100},
                                        "changes": {
                                            "type": "array",
                                            "maxItems": push.MAX_ITEMS,
                                            "items": {"$ref": "#/components/schemas/PushItem"},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One result per change, in order.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": [
                                            "results",
                                            "applied",
                                            "unchanged",
                                            "conflict",
                                            "error",
                                        ],
                                        "properties": {
                                            "results": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/PushResult"
                                                },
                                            },
                                            "applied": {"type": "integer"},
                                            "unchanged": {"type": "integer"},
                                            "conflict": {"type": "integer"},
                                            "error": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        **_errors(400, 401, 413, 415, 429),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal token (mt_…) with the sync scope.",
                }
            },
            "schemas": schemas,
        },
    }
