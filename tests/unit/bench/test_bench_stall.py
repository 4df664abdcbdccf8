"""``ordergate bench stall`` runs end to end with small orders, so its code cannot rot (no timing asserted)."""

from __future__ import annotations

from bench import stall


def test_the_stall_benchmark_prints_a_line_per_size_and_per_read(capsys):
    assert stall.main(["--items", "20,60", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if "longest hold of the loop" in line]
    assert [r[0] for r in rows] == ["20", "60", "list", "list", "list"]
    assert "list cancel tasks, no order id:" in out
    assert "list 2 orders, fields=id:" in out
    assert "list 2 orders by an item's state:" in out
