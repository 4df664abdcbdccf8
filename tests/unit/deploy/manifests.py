"""The deployment files as data: Kubernetes documents, the Compose file, and the environment each
gives the gateway (what the integration tests start the same commands with)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "compose.yaml"


def kubernetes_documents() -> dict[str, dict[str, Any]]:
    """``kind/name`` -> document, of every manifest the kustomization lists."""
    listed = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["resources"]
    found: dict[str, dict[str, Any]] = {}
    for name in listed:
        for document in yaml.safe_load_all((KUBERNETES / name).read_text()):
            found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def container(document: dict[str, Any]) -> dict[str, Any]:
    (only,) = document["spec"]["template"]["spec"]["containers"]
    return only


def kubernetes_environment(workload: str) -> dict[str, str]:
    """What a workload's container is given: the ConfigMap whole, and the Secret's keys it names."""
    documents = kubernetes_documents()
    config = documents["ConfigMap/ordergate"]["data"]
    secret = documents["Secret/ordergate"]["stringData"]
    env = dict(config)
    for item in container(documents[workload]).get("env", []):
        env[item["name"]] = secret[item["valueFrom"]["secretKeyRef"]["key"]]
    return env


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def compose_environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose()["services"][service]["environment"].items()}
