"""The log formats (logs.py) and the in-process recorders of the metrics (metrics/instruments.py),
without a server: what a JSON line holds, that a forged line cannot be written, that the recorders'
deferred counts land in the right buckets and labels, and that per-app labels stay bounded."""

from __future__ import annotations

import io
import json
import logging
import sys

from prometheus_client import REGISTRY, Histogram
from prometheus_client.registry import CollectorRegistry

from oauthapps import logs
from oauthapps.http.access_log import AccessLog
from oauthapps.metrics.instruments import LATENCY_BUCKETS, OTHER, HttpMetrics, TokenMetrics, TokenOutcome, instruments
from oauthapps.store.readiness import KnownMigrations, MigrationState, Readiness


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_json_access_line_is_one_object_with_the_request_fields_and_no_query() -> None:
    out = io.StringIO()
    access = AccessLog(out, logs.LogFormat.JSON)
    entry = logs.RequestLog("rid-1")
    entry.project_id, entry.client_id = "project-1", "client-1"
    access.record("POST", "/oauth2/token", '/oauth2/token\n{"forged": 1}\x1b[2J', 200, 1.234, entry)
    access.flush()
    [line] = out.getvalue().splitlines()
    parsed = json.loads(line)
    assert parsed["request_id"] == "rid-1" and parsed["route"] == "/oauth2/token" and parsed["status"] == 200
    assert parsed["project_id"] == "project-1" and parsed["client_id"] == "client-1" and parsed["duration_ms"] == 1.23
    assert "\x1b" not in line and "\\x1b" in parsed["path"]


def test_a_text_access_line_is_unchanged() -> None:
    out = io.StringIO()
    access = AccessLog(out)
    access.record("GET", "/x/{id}", "/x/1 2", 404, 0.5, logs.RequestLog("rid-2"))
    access.flush()
    assert out.getvalue().endswith(" access GET /x/1\\x202 404 0.5ms request_id=rid-2\n")


def test_a_json_log_record_carries_the_request_in_progress_and_the_traceback() -> None:
    formatter = logs.JsonFormatter()
    logs.begin_request("rid-3")
    logs.note_caller("project-3", "client-3")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("oauthapps.x", logging.ERROR, __file__, 1, "failed %s", ("line\nbreak",), sys.exc_info())
    parsed = json.loads(formatter.format(record))
    assert parsed["message"] == "failed line\\nbreak" and parsed["level"] == "error" and parsed["logger"] == "oauthapps.x"
    assert (parsed["request_id"], parsed["project_id"], parsed["client_id"]) == ("rid-3", "project-3", "client-3")
    assert "ValueError: boom" in parsed["exception"]


def test_latency_lands_in_the_buckets_the_client_library_would_choose() -> None:
    recorder = HttpMetrics()
    reference = Histogram("reference_seconds", "", buckets=LATENCY_BUCKETS, registry=CollectorRegistry())
    for seconds in (0.0, 0.001, 0.0011, 0.05, 2.5, 11.0, 0.3):
        recorder.observe("GET", "/unit/{id}", 200, seconds)
        reference.observe(seconds)
    recorder.observe("BREW", "/unit/{id}", 200, 0.001)  # an unknown method is labelled "other"
    recorder.flush()
    expected = {s.labels["le"]: s.value for s in next(iter(reference.collect())).samples if s.name.endswith("_bucket")}
    for le, value in expected.items():
        assert _sample("oauthapps_http_request_duration_seconds_bucket", method="GET", route="/unit/{id}", status="200", le=le) == value
    assert _sample("oauthapps_http_request_duration_seconds_count", method="GET", route="/unit/{id}", status="200") == 7
    assert _sample("oauthapps_http_request_duration_seconds_count", method=OTHER, route="/unit/{id}", status="200") == 1
    recorder.flush()  # nothing new: nothing added
    assert _sample("oauthapps_http_request_duration_seconds_count", method="GET", route="/unit/{id}", status="200") == 7


def test_per_app_token_counts_are_bounded_and_off_by_default() -> None:
    off = TokenMetrics()
    off.record("unit_grant_off", TokenOutcome.ISSUED, "app-off")
    off.flush()
    assert _sample("oauthapps_token_requests_total", grant="unit_grant_off", outcome="issued") == 1
    assert _sample("oauthapps_app_tokens_issued_total", client_id="app-off", grant="unit_grant_off") == 0

    bounded = TokenMetrics(per_app=2)
    for app in ("app-a", "app-b", "app-c", "app-d", "app-a"):
        bounded.record("unit_grant", TokenOutcome.ISSUED, app)
    bounded.record("unit_grant", TokenOutcome.CUT_OFF, "app-e")  # a refusal names no app
    bounded.flush()
    assert _sample("oauthapps_app_tokens_issued_total", client_id="app-a", grant="unit_grant") == 2
    assert _sample("oauthapps_app_tokens_issued_total", client_id="app-b", grant="unit_grant") == 1
    assert _sample("oauthapps_app_tokens_issued_total", client_id=OTHER, grant="unit_grant") == 2
    assert _sample("oauthapps_app_tokens_issued_total", client_id="app-e", grant="unit_grant") == 0
    assert _sample("oauthapps_token_requests_total", grant="unit_grant", outcome="cut_off") == 1
    assert instruments() is instruments()  # made once per process


def test_readiness_names_checks_and_states_only() -> None:
    assert Readiness(True, MigrationState.CURRENT, True).to_wire() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "current", "changeFeed": "ok"},
    }
    down = Readiness(False, MigrationState.UNKNOWN, False)
    assert down.to_wire()["checks"] == {"database": "failing", "migrations": "unknown", "changeFeed": "down"}
    assert Readiness(True, MigrationState.BEHIND, True).to_wire() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "outdated", "changeFeed": "ok"},
    }
    assert Readiness(True, MigrationState.AHEAD, True).ready  # a rolling upgrade: a newer node migrated
    assert not Readiness(True, MigrationState.CURRENT, False).ready


def test_the_migration_state_of_a_database() -> None:
    known = KnownMigrations(heads=frozenset({"0013"}), known=frozenset({"0001", "0012", "0013"}))
    assert known.state(frozenset({"0013"})) is MigrationState.CURRENT
    assert known.state(frozenset({"0012"})) is MigrationState.BEHIND
    assert known.state(frozenset()) is MigrationState.BEHIND  # never migrated
    assert known.state(frozenset({"0014"})) is MigrationState.AHEAD
    assert KnownMigrations.of("sqlite://").heads <= KnownMigrations.of("sqlite://").known
