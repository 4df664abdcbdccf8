"""serve --workers on gunicorn: workers numbered 1..N (a replacement takes the number it replaces),
and a worker that cannot boot ends the command with the gateway's exit 2."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ordergate import workers
from ordergate.settings import GatewaySettings


def test_a_new_worker_takes_the_lowest_number_no_live_worker_holds():
    arbiter = SimpleNamespace(WORKERS={})
    for pid in (101, 102, 103):
        worker = SimpleNamespace()
        workers.GatewayArbiter._pre_fork(arbiter, worker)
        arbiter.WORKERS[pid] = worker
    assert [w.ordergate_number for w in arbiter.WORKERS.values()] == [1, 2, 3]
    del arbiter.WORKERS[102]  # died
    replacement = SimpleNamespace()
    workers.GatewayArbiter._pre_fork(arbiter, replacement)
    assert replacement.ordergate_number == 2


@pytest.mark.parametrize(("gunicorn", "ours"), [(0, 0), (3, 2), (4, 2), (1, 1)])
def test_gunicorns_halts_are_the_gateways_exit_codes(monkeypatch, gunicorn: int, ours: int):
    def run(_self: object) -> None:
        raise SystemExit(gunicorn)

    monkeypatch.setattr(workers.GatewayArbiter, "run", run)
    assert workers.run(GatewaySettings(workers=2, port=8080), lambda _pid: None) == ours


def test_the_arbiter_serves_the_gateways_settings():
    arbiter = workers.GatewayArbiter(
        GatewaySettings(workers=3, host="::1", port=8081), lambda: None, lambda _pid: None
    )
    cfg = arbiter.cfg
    assert cfg.bind == ["[::1]:8081"]
    assert cfg.workers == 3
    assert cfg.worker_class_str == "aiohttp.GunicornUVLoopWebWorker"  # ORDERGATE_EVENT_LOOP's default
    stock = workers.GatewayArbiter(
        GatewaySettings(workers=2, port=8081, event_loop="asyncio"), lambda: None, lambda _pid: None
    )
    assert stock.cfg.worker_class_str == "aiohttp.GunicornWebWorker"
    assert cfg.graceful_timeout == workers.GRACEFUL_SECONDS
