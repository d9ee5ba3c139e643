"""The API reference page: the OpenAPI document as a page of the site, readable offline.

Drawn on the server from the same document as /api/v1/openapi.json, in the site's design and
themes, with no script and nothing fetched from elsewhere. The document is English for programs;
the page shows its prose in the reader's language (quest_platform/api/prose.py lists it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import gettext

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")


def prose(text: str) -> str:
    """A summary or description of the document in the page's language (code stays code)."""
    folded = " ".join(text.split())
    return gettext(folded) if folded else ""


@dataclass(frozen=True)
class Field:
    """A field of a schema, or a parameter of an operation."""

    name: str
    type: str
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """One call: its method and path, what it does, what it takes and what it answers."""

    anchor: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Field]
    body: str | None
    responses: list[tuple[str, str, str | None]]


@dataclass
class Resource:
    """A group of calls (an OpenAPI tag)."""

    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The resource's name for people, in the page's language: "api_tokens" reads "Tokens"."""
        return prose(self.name.removeprefix("api_").replace("_", " ").capitalize())


def schema_name(schema: dict[str, Any] | None) -> str | None:
    """The component name a schema refers to, with [] for a list of them."""
    if not schema:
        return None
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        inner = schema_name(schema.get("items"))
        return f"{inner}[]" if inner else "array"
    return str(schema.get("type", "object"))


def type_of(schema: dict[str, Any]) -> str:
    """A property's type in a few words."""
    name = schema_name(schema) or "object"
    if schema.get("format"):
        name += f" ({schema['format']})"
    if schema.get("enum"):
        name += ": " + ", ".join(str(value) for value in schema["enum"])
    if schema.get("nullable"):
        name += " | null"
    return name


def fields_of(schema: dict[str, Any]) -> list[Field]:
    """The properties of a component schema."""
    required = set(schema.get("required", []))
    return [
        Field(name, type_of(prop), name in required, prose(prop.get("description", "")))
        for name, prop in schema.get("properties", {}).items()
    ]


def operations_of(document: dict[str, Any]) -> list[Resource]:
    """The document's operations, grouped by resource in the document's order."""
    resources = {
        tag["name"]: Resource(tag["name"], prose(tag.get("description", "")))
        for tag in document.get("tags", [])
    }
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            parameters = [
                Field(
                    p["name"],
                    f"{p['in']}, {type_of(p.get('schema', {}))}",
                    bool(p.get("required")),
                    prose(p.get("description", "")),
                )
                for p in [*shared, *spec.get("parameters", [])]
            ]
            content = spec.get("requestBody", {}).get("content", {})
            body = schema_name(content.get("application/json", {}).get("schema"))
            responses = []
            for status, response in spec.get("responses", {}).items():
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = document["components"]["responses"][name]
                media = response.get("content", {}).get("application/json", {})
                responses.append(
                    (
                        status,
                        prose(response.get("description", "")),
                        schema_name(media.get("schema")),
                    )
                )
            tag = (spec.get("tags") or ["API"])[0]
            resource = resources.setdefault(tag, Resource(tag, ""))
            resource.operations.append(
                Operation(
                    anchor=f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    method=method.upper(),
                    path=path,
                    summary=prose(spec.get("summary", "")),
                    description=prose(spec.get("description", "")),
                    parameters=parameters,
                    body=body,
                    responses=responses,
                )
            )
    return [resource for resource in resources.values() if resource.operations]


@bp.get("/docs")
def reference() -> str:
    """The API reference, drawn from the OpenAPI document."""
    document = current_app.extensions["quest_api"].spec.to_dict()
    schemas = document.get("components", {}).get("schemas", {})
    return render_template(
        "api/reference.html",
        info=document.get("info", {}),
        resources=operations_of(document),
        schemas={name: fields_of(schema) for name, schema in sorted(schemas.items())},
        schema_docs={
            name: prose(schema.get("description", "")) for name, schema in schemas.items()
        },
    )
