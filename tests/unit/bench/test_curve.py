"""``ordergate bench curve``: its options, and the plot it draws (when matplotlib, the bench extra, is here)."""

from __future__ import annotations

import pytest

from bench.curve import Point, parse_args


def test_the_curves_options_are_read_and_checked():
    args = parse_args(["--profiles", "rest,amqp", "--workers", "1,2", "--concurrency", "1,8", "--plot"])
    assert args.profiles == ["rest", "amqp"]
    assert (args.workers, args.concurrency) == ([1, 2], [1, 8])
    assert str(args.plot) == "docs/scale.png"
    with pytest.raises(SystemExit):
        parse_args(["--profiles", "ftp"])
    with pytest.raises(SystemExit):
        parse_args(["--workers", "0"])


def test_the_plot_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from bench.plot import draw

    points = [
        Point(profile, workers, concurrency, 100, 100 / (concurrency * workers * 50), 5.0, 9.0 * concurrency)
        for profile in ("rest", "soap", "amqp")
        for workers in (1, 2)
        for concurrency in (1, 4, 16)
    ]
    target = tmp_path / "scale.png"
    draw(points, target, "a test")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
