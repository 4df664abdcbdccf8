"""Every deployment file is valid for its tool (Kubernetes schemas, the Compose specification),
names only settings the gateway has, and says what docs/operations.md says about stopping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ordergate.serving import SHUTDOWN_SECONDS
from ordergate.settings import environment_names
from ordergate.workers import GRACEFUL_SECONDS
from tests.unit.deploy.manifests import (
    DEPLOY,
    KUBERNETES,
    ROOT,
    compose,
    compose_environment,
    container,
    kubernetes_documents,
    kubernetes_environment,
)

KUBERNETES_VERSION = "1.30.0"  # the oldest the manifests are for (preStop sleep)
NOT_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR"}
WANTED = {
    "ConfigMap",
    "Secret",
    "Job",
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
}


def test_the_kustomization_lists_every_manifest_and_every_kind_is_there():
    listed = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["resources"]
    files = sorted(p.name for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == files
    assert {key.split("/")[0] for key in kubernetes_documents()} == WANTED


@pytest.mark.parametrize("name", sorted(kubernetes_documents()))
def test_each_manifest_is_valid_against_the_kubernetes_schemas(name: str):
    document = kubernetes_documents()[name]
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
    jsonschema.Draft7Validator(schema).validate(compose())


@pytest.mark.parametrize(
    "env",
    [kubernetes_environment("Deployment/ordergate"), compose_environment("gateway")],
    ids=["kubernetes", "compose"],
)
def test_the_environment_names_only_settings_the_gateway_has(env: dict[str, str]):
    unknown = set(env) - set(environment_names()) - NOT_SETTINGS
    assert not unknown


def test_the_deployment_probes_readiness_and_liveness_and_stops_within_its_grace():
    deployment = kubernetes_documents()["Deployment/ordergate"]
    gateway = container(deployment)
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    pause = gateway["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # the arbiter waits GRACEFUL_SECONDS for its workers, each of which finishes its HTTP requests
    # within SHUTDOWN_SECONDS (AMQP, relay and hub within less)
    assert grace >= pause + max(GRACEFUL_SECONDS, SHUTDOWN_SECONDS)


def test_the_selectors_find_the_gateways_pods():
    documents = kubernetes_documents()
    labels = documents["Deployment/ordergate"]["spec"]["template"]["metadata"]["labels"]
    for name in ("Service/ordergate", "PodDisruptionBudget/ordergate"):
        spec = documents[name]["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        assert selector.items() <= labels.items(), name
    target = documents["HorizontalPodAutoscaler/ordergate"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "ordergate")


def test_compose_scrapes_the_gateway_and_migrates_before_it_serves():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["migrate"]
    gateway = services["gateway"]
    assert gateway["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert int(gateway["environment"]["ORDERGATE_WORKERS"]) > 1
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"][0]
    port = gateway["environment"]["ORDERGATE_PORT"]
    assert scrape["static_configs"][0]["targets"] == [f"gateway:{port}"]
    assert scrape["metrics_path"] == "/metrics"


def test_the_image_is_slim_python_311_runs_unprivileged_and_installs_the_checkout():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", dockerfile, flags=re.M) == ["python:3.11-slim", "python:3.11-slim"]
    (user,) = re.findall(r"^USER (\S+)", dockerfile, flags=re.M)
    assert not user.startswith(("0", "root"))
    assert "pip install --prefix=/install ." in dockerfile
    assert re.search(r'^ENTRYPOINT \["ordergate"\]', dockerfile, flags=re.M)
    ignored = (ROOT / ".dockerignore").read_text()
    for needed in ("pyproject.toml", "README.md", "core/", "adapters/", "ordergate/", "bench/"):
        assert f"!{needed}" in ignored
