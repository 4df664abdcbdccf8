"""Where the gateway accepts more than the official TMF schemas say, each with its reason.

The official files and the official samples disagree in places; real clients
send what the samples show, so the gateway accepts it.  This is the one list
of such relaxations: ``core.document.schema`` applies them to the strict
definitions, and ``docs/state-model.md`` (Client data) lists them for
integration engineers.  Nothing else is relaxed: an attribute no schema
defines is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Definitions = dict[str, Any]

# TMF's polymorphic extension attributes (TMF630): they describe the document's types,
# and every object may carry them.
POLYMORPHIC = ("@type", "@baseType", "@schemaLocation", "@referredType")


@dataclass(frozen=True)
class Relaxation:
    what: str
    why: str
    apply: Callable[[str, Definitions], None]  # (api, definitions) -> None, changes them in place


def _every_object(api: str, defs: Definitions) -> None:
    for d in defs.values():
        if "properties" in d:
            for name in POLYMORPHIC:
                d["properties"].setdefault(name, {"type": "string"})


def _polymorphic_not_required(api: str, defs: Definitions) -> None:
    for d in defs.values():
        if "required" in d:
            d["required"] = [r for r in d["required"] if r not in POLYMORPHIC]


def _required_that_exist(api: str, defs: Definitions) -> None:
    for d in defs.values():
        if "required" in d:
            d["required"] = [r for r in d["required"] if r in d.get("properties", {})]


def _item_ref_id(api: str, defs: Definitions) -> None:
    for name in ("ServiceOrderItemRef", "ResourceOrderItemRef"):
        if name in defs:
            defs[name]["properties"].setdefault("id", {"type": "string"})


def _note_id(api: str, defs: Definitions) -> None:
    note = defs.get("Note")
    if note is not None:
        note["required"] = [r for r in note.get("required", []) if r != "id"]


def _feature(api: str, defs: Definitions) -> None:
    feature = defs.get("Feature")
    if feature is None:
        return
    feature["required"] = [r for r in feature.get("required", []) if r != "featureCharacteristic"]
    feature["properties"]["featureCharacteritic"] = feature["properties"]["featureCharacteristic"]


def _no_uri_format(api: str, defs: Definitions) -> None:
    def strip(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("format") == "uri":
                del node["format"]
            for value in node.values():
                strip(value)

    strip(defs)


RELAXATIONS: tuple[Relaxation, ...] = (
    Relaxation(
        "Every object accepts @type, @baseType, @schemaLocation and @referredType.",
        "TMF's polymorphic extension pattern applies to every object, but some definitions lack the"
        " attributes (TMF641 Feature); the TMF641 sample's feature carries @type.",
        _every_object,
    ),
    Relaxation(
        "@type and @referredType are never required.",
        "TMF641 v4.1 requires them on RelatedParty, yet its own sample's relatedParty has no @type.",
        _polymorphic_not_required,
    ),
    Relaxation(
        "A required attribute the definition does not define is not required.",
        "ServiceOrderItemRef and ResourceOrderItemRef require an id that their properties lack"
        " (they name the item with itemId).",
        _required_that_exist,
    ),
    Relaxation(
        "ServiceOrderItemRef and ResourceOrderItemRef accept id beside itemId (the item's id).",
        "Their required id names the item; clients send either.",
        _item_ref_id,
    ),
    Relaxation(
        "A note's id is not required.",
        "TMF652 requires it, the other APIs do not, and a client of one kind should not need it for"
        " another; where the client gave none, a note is named by its position.",
        _note_id,
    ),
    Relaxation(
        "Feature's featureCharacteristic is not required, and featureCharacteritic is accepted beside it"
        " (kept as sent).",
        "The TMF641 sample's feature carries its characteristic under that spelling.",
        _feature,
    ),
    Relaxation(
        "URIs are not checked for form (href, @schemaLocation, url ...).",
        "The official samples carry placeholder URLs such as http://serverlocation:port/... and"
        " http//..../48; a reference's href is the client's to get right.",
        _no_uri_format,
    ),
)

# Applied to validation results rather than to the schema (a JSON schema cannot say it):
EXTENDED_OBJECTS = (
    "An object that names its own @schemaLocation may carry attributes its definition lacks.",
    "It is a TMF subclass whose schema is at that location, which the gateway does not fetch; the"
    " TMF641 sample's serviceSpecification (invariantUUID, toscaModelURL) is one. Its attributes are"
    " kept as client data, bounded like any other.",
)


def apply(api: str, defs: Definitions) -> None:
    for relaxation in RELAXATIONS:
        relaxation.apply(api, defs)
