"""The decomposition catalog file (``ORDERGATE_CATALOG``): YAML or JSON, read and checked at start."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from core.domain.catalog import Catalog, CatalogError, load


def load_catalog(path: str | None) -> Catalog:
    """The catalog of the file (an empty one without a path); ``CatalogError`` names what is wrong."""
    if not path:
        return Catalog()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise CatalogError(f"catalog {path}: cannot be read ({e.strerror or e})") from None
    try:
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise CatalogError(f"catalog {path}: not valid {'JSON' if path.endswith('.json') else 'YAML'} ({e})") from None
    if not isinstance(document, dict):
        raise CatalogError(f"catalog {path}: must be a mapping with version, products and services")
    try:
        return load(document)
    except CatalogError as e:
        raise CatalogError(f"{path}: {e}") from None
