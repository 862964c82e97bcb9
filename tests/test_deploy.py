"""The Docker files, checked statically (no Docker engine in CI): the compose stack's services,
healthchecks and start order, and the image's basics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]


def test_the_stack_has_every_piece(services):
    assert set(services) == {"postgres", "redis", "migrate", "bot", "admin"}
    assert services["migrate"]["command"] == ["xianfeng", "migrate"]
    assert services["bot"]["command"] == ["xianfeng", "bot"]
    assert services["admin"]["command"] == ["xianfeng", "admin"]
    for name in ("migrate", "bot", "admin"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")


def test_long_running_services_have_healthchecks(services):
    for name in ("postgres", "redis", "bot", "admin"):
        check = services[name]["healthcheck"]
        assert check["test"] and not check.get("disable"), name
    for name in ("bot", "admin"):
        assert "/healthz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["bot"]["environment"]["METRICS_PORT"] in services["bot"]["healthcheck"]["test"][-1]


def test_start_order_waits_for_healthy_dependencies_and_the_migration(services):
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("bot", "admin"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"] == {"condition": "service_healthy"}
        assert depends["redis"] == {"condition": "service_healthy"}


def test_the_image_is_slim_non_root_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert bases and all(base.endswith("-slim") for base in bases)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*/healthz", dockerfile, re.M)
    assert ".mo" in dockerfile  # the build fails when the wheel lacks compiled catalogs


def test_scaled_bot_containers_get_worker_ids_of_their_own(services, monkeypatch):
    """`docker compose up --scale bot=2`: nothing pins one outbox worker id on every replica
    (a second worker starting with the first's id would give back the first's claims in
    flight, and a message could go out twice); each container's host name differs."""
    from xianfeng.settings import Settings

    assert "DELIVERY_WORKER_ID" not in services["bot"]["environment"]
    monkeypatch.delenv("DELIVERY_WORKER_ID", raising=False)
    ids = set()
    for hostname in ("3f2a9c1d0b7e", "8c41e07a55d2"):  # container ids, as Docker names hosts
        monkeypatch.setattr("socket.gethostname", lambda hostname=hostname: hostname)
        ids.add(Settings(_env_file=None).delivery_worker_id)
    assert ids == {"bot@3f2a9c1d0b7e", "bot@8c41e07a55d2"}
    monkeypatch.setattr("socket.gethostname", lambda: "h" * 80)
    assert len(Settings(_env_file=None).delivery_worker_id) == 64  # the column's size
