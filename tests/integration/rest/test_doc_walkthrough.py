"""docs/rest.md's walkthrough with curl, run as a new user runs it.

``ordergate serve`` starts in an empty directory with no setting at all (the embedded SQLite
file, no credentials file: the caller on loopback is the local admin), as the README has it,
but on a port of the system's choosing: the documented ``http://127.0.0.1:8080`` stands for
it.  Each documented curl command is read as curl reads it (``shlex``) and sent; its response
must be the documented one -- the status line, the headers shown and the body
(``tests/doc_examples.py`` says what may differ).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from tests import doc_examples as ex
from tests.amqp_gateway import wait_ready
from tests.integration.startup.process import Served

DOC = ex.DOCS / "rest.md"
STEP = frozenset({"request", "response"})
DOCUMENTED = "http://127.0.0.1:8080"


def test_the_walkthrough_creates_gets_lists_patches_cancels_and_is_refused():
    steps = ex.read(DOC)
    ex.shapes(steps, [STEP])
    requests = [ex.curl(s["request"].text, s["request"].where) for s in steps]
    # (method, resource, a query or not)
    made = {
        (r.method, urlsplit(r.url).path.split("/v4/")[1].split("/")[0], bool(urlsplit(r.url).query))
        for r in requests
    }
    assert {
        ("POST", "productOrder", False),
        ("GET", "productOrder", False),
        ("GET", "productOrder", True),
        ("PATCH", "productOrder", False),
        ("POST", "cancelProductOrder", False),
    } <= made, made
    statuses = {ex.http_message(s["response"].text, "").start.split()[1] for s in steps}
    assert {"201", "200", "400"} <= statuses


async def test_the_documented_commands_are_answered_as_documented(tmp_path: Path):
    steps = ex.read(DOC)
    served = Served(tmp_path, ORDERGATE_PORT="0")
    try:
        origin = await served.http_url()
        await wait_ready(origin)
        values = ex.Values({DOCUMENTED: origin})
        async with aiohttp.ClientSession() as http:
            for step in steps:
                sent, answer = step["request"], step["response"]
                request = ex.curl(values.put(sent.text), sent.where)
                data = None if request.data is None else request.data.encode()
                async with http.request(request.method, request.url, headers=request.headers, data=data) as r:
                    status, reason, headers, body = r.status, r.reason or "", dict(r.headers), await r.read()
                documented = ex.http_message(answer.text, answer.where)
                real = json.loads(body) if body else None
                if documented.body.strip() and real is not None:
                    ex.learn_json(documented.body, real, values)  # a new order's id is in Location too
                ex.compare_response(documented, status, reason, headers, values, answer.where)
                if documented.body.strip():
                    ex.compare_json(documented.body, real, values, answer.where)
                else:
                    assert body == b"", f"{answer.where}: no body documented, {body!r} sent"
    finally:
        assert await served.stop() == 0, served.text()
