"""TMF request bodies for tests, and validation of responses against the official TMF schemas."""

from __future__ import annotations

import copy
import importlib
import warnings
from typing import Any

from adapters.rest.openapi import tmf_spec
from adapters.rest.vocabulary import KINDS, TmfKind
from core.document import relaxations
from core.domain.model import Kind

ALL_KINDS = list(KINDS.values())
PRODUCT, SERVICE, RESOURCE, WORK = (KINDS[k] for k in Kind)


def item(tk: TmfKind, item_id: str, spec: str = "fibre-100", **extra: Any) -> dict[str, Any]:
    entity = {tk.specification_key: {"id": spec}}
    return {"id": item_id, "action": "add", tk.entity_key: entity, **extra}


def order_body(tk: TmfKind, *item_ids: str, **extra: Any) -> dict[str, Any]:
    """A feasible create body with the given items (two by default)."""
    return {tk.item_key: [item(tk, i) for i in item_ids or ("1", "2")], **extra}


def quiet_import(name: str) -> Any:
    """Import a module whose optional-dependency probes would trip six's importer.

    spyne (the SOAP profile) registers six's meta-path importer, which warns on
    every failed import; libraries that probe for optional modules (jsonschema,
    openapi-spec-validator) then fail under ``filterwarnings = error``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportWarning)
        return importlib.import_module(name)


def conforms(tk: TmfKind, definition: str, document: Any, *, relaxed: bool = False) -> None:
    """Raise unless ``document`` is valid against the named definition of the kind's official TMF file.

    ``relaxed``: with the gateway's documented relaxations applied (``core.document.relaxations``:
    where the official samples and their own schemas disagree, what the samples show is accepted,
    and a body that holds such a sample's attributes can only conform so)."""
    jsonschema = quiet_import("jsonschema")
    definitions = tmf_spec(tk)["definitions"]
    if relaxed:
        definitions = copy.deepcopy(definitions)
        relaxations.apply(tk.api, definitions)
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise AssertionError(
            f"not a valid {tk.api} {definition}: "
            + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
        )
