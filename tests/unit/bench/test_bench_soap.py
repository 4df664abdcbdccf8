"""``ordergate bench soap`` runs end to end with tiny counts, so its code cannot rot.

No timing is asserted: the figures are for people to read (docs/soap.md).
"""

from __future__ import annotations

import io

import pytest

from bench import soap as bench_soap
from bench.soap_echo import echo_application
from tests.conftest import PG_SERVER


def test_the_echo_service_answers_the_gateway_envelope_with_the_same_order():
    body = bench_soap.envelope(7)
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    statuses: list[str] = []
    answer = b"".join(echo_application()(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["200 OK"]
    assert b"createOrderByValueResponse" in answer
    assert b"bench-7" in answer
    assert b"managed-router" in answer


def test_the_large_envelope_fits_the_default_limit_and_fails_only_at_its_end():
    body = bench_soap.large_invalid_envelope()
    assert 800_000 < len(body) < 1024 * 1024
    assert body.count(b"<om:action>explode</om:action>") == 1
    assert body.rindex(b"explode") > len(body) - 1000


@pytest.mark.postgres
def test_soap_benchmark_drives_the_gateway_and_the_echo_service(capsys):
    argv = ["--orders", "20", "--concurrency", "4", "--rounds", "1", "--large", "2", "--pg-url", PG_SERVER]
    assert bench_soap.main(argv) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("none ", "postgres "))]
    assert "spyne echo" in rows[0]
    assert "ordergate SOAP create" in rows[1]
    assert rows[1].rstrip().endswith("%")
    assert "SOAP create:" in out
    for probe in ("idle", "under SOAP create at 4", "off the loop (default)", "all on the loop"):
        assert probe in out
