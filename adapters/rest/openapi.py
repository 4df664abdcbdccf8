"""``GET /openapi.json``: one Swagger 2.0 document of everything the REST profile serves.

Built from the four official TMF files shipped in ``core/document/tmf``:
their paths are placed under their base paths (the client-side
``/listener/...`` paths are left out: the gateway calls them, it does not
serve them), their definitions are namespaced by API (``TMF622_ProductOrder``)
so the four files do not clash, and their hub operation ids are made unique.
Our extensions (``extensions.py``) are added on top.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from aiohttp import web

from adapters.rest import extensions
from adapters.rest.vocabulary import KINDS, TmfKind

_REF = "#/definitions/"
JSON_MEDIA = ["application/json;charset=utf-8"]
PATCH_MEDIA = ["application/merge-patch+json", "application/json;charset=utf-8"]


def tmf_spec(tk: TmfKind) -> dict[str, Any]:
    """One official TMF file, as shipped."""
    text = resources.files("core.document.tmf").joinpath(tk.spec_file).read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def namespaced(tk: TmfKind, spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec whose definitions (and every $ref to them) carry the API prefix."""
    spec = copy.deepcopy(spec)
    spec["definitions"] = {f"{tk.api}_{k}": v for k, v in spec["definitions"].items()}
    for node in _walk(spec):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            node["$ref"] = _REF + tk.api + "_" + ref.removeprefix(_REF)
    return spec


def _error_responses(tk: TmfKind, *statuses: str) -> dict[str, Any]:
    reasons = {"412": "Precondition failed", "413": "Payload too large", "415": "Unsupported media type"}
    return {s: {"description": reasons[s], "schema": {"$ref": f"{_REF}{tk.api}_Error"}} for s in statuses}


def _augment(tk: TmfKind, path: str, ops: dict[str, Any]) -> None:
    """Our additions to the official operations: dryRun, If-Match, merge patch, more statuses."""
    for method, op in ops.items():
        if op.get("operationId") in ("registerListener", "unregisterListener"):
            op["operationId"] = f"{op['operationId']}{tk.type_name}"
        if method == "post" and path == f"/{tk.resource}":
            op["parameters"].append(extensions.DRY_RUN)
            report = {"$ref": _REF + "Ordergate_FeasibilityReport"}
            op["responses"]["200"] = {"description": "Feasibility report (dryRun=true)", "schema": report}
        if method in ("patch", "delete"):
            op["parameters"].append(extensions.IF_MATCH)
        if method == "patch":
            op["consumes"] = PATCH_MEDIA
        if method in ("post", "patch"):
            op["responses"].update(_error_responses(tk, "413", "415"))
        if method in ("patch", "delete"):
            op["responses"].update(_error_responses(tk, "412"))
        if method == "get" and path == f"/{tk.resource}":
            op["description"] = op.get("description", "") + extensions.FILTER_NOTE


def build_document() -> dict[str, Any]:
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            "title": "Ordergate",
            "version": "1.0.0",
            "description": extensions.DESCRIPTION,
            "license": {"name": "Apache-2.0 (TMF definitions: TM Forum, Apache-2.0)"},
        },
        "basePath": "/",
        "consumes": JSON_MEDIA,
        "produces": JSON_MEDIA,
        "securityDefinitions": {"bearer": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        "security": [{"bearer": []}],
        "paths": {},
        "definitions": {},
    }
    for tk in KINDS.values():
        spec = namespaced(tk, tmf_spec(tk))
        doc["definitions"].update(spec["definitions"])
        for path, ops in spec["paths"].items():
            if path.startswith("/listener/"):
                continue
            _augment(tk, path, ops)
            doc["paths"][tk.base_path + path] = ops
        for path, ops in (extensions.kind_paths(tk) | extensions.gateway_paths()).items():
            doc["paths"].setdefault(path, {}).update(ops)
    doc["definitions"].update(extensions.DEFINITIONS)
    return doc


def openapi_route(document: dict[str, Any]) -> web.RouteDef:
    body = json.dumps(document).encode()

    async def openapi(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    return web.get("/openapi.json", openapi)
