"""Performance probes as pure functions: budgets, slopes, spikes, baselines, charts, parsing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_release.perf_settings import Profile, perf_settings
from pytest_release.probes.perf.baseline import (
    BaselineError,
    Figure,
    Level,
    compare,
    read_baseline,
    write_baseline,
)
from pytest_release.probes.perf.budgets import check, check_all, parse_budgets
from pytest_release.probes.perf.charts import histogram_svg, timeline_svg
from pytest_release.probes.perf.cpu import find_spikes
from pytest_release.probes.perf.leak import fit_slope
from pytest_release.probes.perf.load_locust import LoadPlan, LoadResult, parse_stats
from pytest_release.probes.perf.resources import parse_exposition
from pytest_release.probes.perf.stats import percentile
from pytest_release.settings import ConfigError


def test_defaults_cover_every_item() -> None:
    budgets = parse_budgets({})
    assert {b.key for b in budgets.for_page("/")} >= {"ttfb_ms", "monaco_ready_ms", "lcp_ms"}
    assert "POST /api/run" in budgets.endpoints
    assert {b.key for b in budgets.load} == {"p95_ms", "error_rate", "min_rps"}
    assert budgets.memory and budgets.cpu and budgets.resources


def test_page_budget_overrides_star_and_names_where_it_came_from() -> None:
    budgets = parse_budgets({"pages": {"*": {"ttfb_ms": 900}, "/python": {"load_ms": 3000}}})
    star = budgets.for_page("/")[0]
    assert (star.name, star.limit) == ("page / ttfb_ms", 900.0)
    assert star.where == '[tool.pytest_release.budgets.pages."*"] ttfb_ms'
    assert [b.key for b in budgets.for_page("/python")] == ["load_ms"]


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"endpoints": {"GET /": {"p95ms": 100}}}, "did you mean 'p95_ms'"),
        ({"endpoints": {"GET /": {"p95_ms": "fast"}}}, "must be a number"),
        ({"endpoints": {"GET /": {"p95_ms": -5}}}, "must be positive"),
        ({"endpoints": {"/healthz": {"p95_ms": 100}}}, '"METHOD /path"'),
        ({"endpoints": {"GET /": {}}}, "non-empty table"),
        ({"pages": {"index": {"ttfb_ms": 100}}}, "a page is a path"),
        ({"load": {"min_rps": True}}, "must be a number"),
        ({"lod": {}}, "did you mean 'load'"),
        ({"warn_ratio": 2.0, "fail_ratio": 1.5}, "warn_ratio <= fail_ratio"),
        ({"cpu": {"spike_percent": 0}}, "must be positive"),
    ],
)
def test_malformed_budgets_are_configuration_errors(table: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_budgets(table)
    assert words in str(info.value)


def test_budget_without_samples_fails_and_says_so() -> None:
    budget = parse_budgets({"endpoints": {"GET /": {"p95_ms": 100}}}).endpoints["GET /"][0]
    result = check(budget, [])
    assert not result.ok and result.value is None
    assert "no samples collected" in result.message
    assert "<= 100 ms" in result.message


def test_budget_message_has_the_figure_and_the_budget() -> None:
    budgets = parse_budgets({"endpoints": {"POST /api/run": {"p50_ms": 1200}}})
    [result] = check_all(budgets.endpoints["POST /api/run"], {"p50_ms": [1650.0, 1700.0, 1720.0]})
    assert not result.ok
    assert "1700 ms" in result.message and "<= 1200 ms" in result.message
    assert '[tool.pytest_release.budgets.endpoints."POST /api/run"] p50_ms' in result.message


def test_higher_is_better_budget() -> None:
    [rps] = parse_budgets({"load": {"min_rps": 5}}).load
    assert check(rps, [6.0]).ok
    assert not check(rps, [4.0]).ok and "under the budget >= 5" in check(rps, [4.0]).message


def test_percentile_interpolates() -> None:
    assert percentile([], 95) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 95) == 95.0


def test_slope_confidence_separates_a_leak_from_noise() -> None:
    xs = [0.0, 25, 50, 75, 100, 125, 150]
    leak = fit_slope(xs, [70e6 + 262144 * x for x in xs])
    assert leak is not None and leak.lower > 250_000
    noise = fit_slope(xs, [70e6 + (4096 if i % 2 else -4096) for i in range(len(xs))])
    assert noise is not None and noise.lower < 1024 < 16 * 1024
    assert fit_slope([1.0, 2.0], [1.0, 2.0]) is None
    assert fit_slope([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_spike_is_a_sustained_stretch() -> None:
    series = [(0.25 * i, p) for i, p in enumerate([2, 3, 90, 2, 2, 50, 60, 55, 70, 4], start=1)]
    spikes = find_spikes(series, 15.0)
    assert [round(s.seconds, 2) for s in spikes] == [0.25, 1.0]
    assert spikes[1].peak_percent == 70
    assert find_spikes([(1.0, 5.0)], 15.0) == []


def test_baseline_ratios_with_noise_floor() -> None:
    before = {
        "a": Figure("a", 100.0, "ms"),
        "b": Figure("b", 100.0, "ms"),
        "c": Figure("c", 4.0, "ms"),
        "rps": Figure("rps", 20.0, "req/s", "higher"),
    }
    now = [
        Figure("a", 160.0, "ms"),  # 1.6x worse: fail
        Figure("b", 125.0, "ms"),  # 1.25x worse: warn
        Figure("c", 9.0, "ms"),  # 2.2x but 5 ms: noise
        Figure("rps", 10.0, "req/s", "higher"),  # half the throughput: fail
        Figure("new", 1.0, "ms"),
    ]
    levels = {c.figure.name: c.level for c in compare(now, before, 1.2, 1.5)}
    assert levels == {
        "a": Level.FAIL,
        "b": Level.WARN,
        "c": Level.OK,
        "rps": Level.FAIL,
        "new": Level.NEW,
    }


def test_baseline_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "base.json"
    write_baseline(path, [Figure("a", 1.5, "ms", checklist=("x",))])
    assert read_baseline(path) == {"a": Figure("a", 1.5, "ms")}
    with pytest.raises(BaselineError, match="does not exist"):
        read_baseline(tmp_path / "nope.json")
    (tmp_path / "empty.json").write_text(json.dumps({"verdict": "GO"}))
    with pytest.raises(BaselineError, match="no performance figures"):
        read_baseline(tmp_path / "empty.json")


def test_charts_are_well_formed_svg_without_script() -> None:
    for svg in (
        histogram_svg("latency <GET />", [1.0, 2.0, 2.5, 30.0], "ms", 20.0),
        histogram_svg("empty", [], "ms"),
        timeline_svg("rss", [(0.0, 60.0), (1.0, 61.0), (2.0, 90.0)], "MiB", 80.0),
        timeline_svg("one point", [(0.0, 1.0)], "ms"),
    ):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
        assert "<script" not in svg


def test_prometheus_text_is_parsed() -> None:
    text = (
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 7.1e+07\n"
        "# TYPE http_request_duration_seconds histogram\n"
        'http_request_duration_seconds_bucket{le="0.1"} 3\n'
    )
    samples = parse_exposition(text)
    assert samples["process_resident_memory_bytes"][0][1] == 7.1e7
    assert samples["http_request_duration_seconds_bucket"][0][0] == {"le": "0.1"}


def test_locust_stats_give_percentiles_errors_and_throughput() -> None:
    raw = [
        {
            "name": "page /",
            "method": "GET",
            "num_requests": 10,
            "num_failures": 1,
            "response_times": {"10": 9, "900": 1},
            "num_reqs_per_sec": {"100": 5, "101": 5},
        },
        "junk",
    ]
    result = LoadResult(LoadPlan(), parse_stats(raw))
    samples = result.budget_samples()
    assert sorted(samples["p95_ms"])[-1] == 900.0
    assert sum(samples["error_rate"]) / len(samples["error_rate"]) == 0.1
    assert samples["min_rps"] == [5.0]
    assert LoadResult(LoadPlan(), ()).budget_samples()["min_rps"] == []


def test_load_settings_are_bounded_and_profiles_differ() -> None:
    default = perf_settings({}, {}, "default")
    full = perf_settings({}, {"duration_s": 20, "full": {"users": 30}}, "full")
    assert default.profile is Profile.DEFAULT and default.load.duration_s <= 10
    assert full.load.duration_s == 20 and full.load.users == 30
    with pytest.raises(ConfigError, match="from 1 to 200"):
        perf_settings({}, {"users": 100000}, "default")
    with pytest.raises(ConfigError, match="did you mean 'users'"):
        perf_settings({}, {"user": 3}, "default")
    with pytest.raises(ConfigError, match="use default or full"):
        perf_settings({}, {}, "soak")
