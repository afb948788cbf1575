"""The benchmark harness runs end to end and produces sane numbers (no timing thresholds)."""

from __future__ import annotations

import json
import subprocess

import pytest

from ..conftest import PYTHON, REPO_ROOT

# The benchmarks themselves are run on both stacks when figures are taken (docs/benchmarks.md);
# CI checks the harness once, on stack A, to keep its time down (about 2.5 minutes a stack).
pytestmark = pytest.mark.harness


def test_benchmark_smoke_run_produces_sane_results(tmp_path):
    completed = subprocess.run(
        [PYTHON, "-m", "benchmarks", "--smoke", "--out", str(tmp_path)], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "results.md").read_text().startswith("Machine: ")
    assert set(result["streaming"]) == {"brownian_panel", "panel_docs_idiom", "plain_bokeh"}
    for name, streaming in result["streaming"].items():
        run = streaming["rounds"][0]
        assert run["updates"] > 0, f"{name} streamed nothing"
        assert run["updates"] <= 1.5 * run["updates_expected"] + run["sessions"], name
        assert streaming["cpu_ms_per_session_update"] > 0, name
        assert streaming["bytes_per_update"] > 16, name
        assert 0 < streaming["first_page_s"] < 60, name
    for wire in result["bytes_per_update"]:
        assert wire["bytes_per_update"] >= 16 * wire["batch"], wire
    assert result["idle_memory"]["rss_with_sessions_mib"] > 0
    assert result["ping"]["pings"] == 2 and 0 < result["ping"]["rtt_ms_median"] < 1000
    capacity = result["capacity"]
    assert capacity["client_processes"] == 2 and 0 < capacity["delivered_over_due"] <= 1.5
    assert capacity["jitter_ms_p99"] is not None and capacity["jitter_ms_p99"] >= 0
    fps = result["browser_fps"]
    assert fps["frames"] > 1 and fps["fps"] > 0 and fps["points_held"] == 1_000
    assert fps["updates"] > 0 and 0 <= fps["latency_ms_p50_last_fifth"] < 10_000
    alone, loaded = result["latency"]
    assert (alone["background_sessions"], loaded["background_sessions"]) == (0, 4)
    for latency in result["latency"]:
        assert latency["updates"] >= 5, latency
        assert 0 <= latency["latency_ms_p50"] <= latency["latency_ms_p99"] < 10_000, latency
    assert len(result["churn"]) == 2 and all(c["rss_after_mib"] > 0 for c in result["churn"])


def run_benchmark(module: str, **arguments) -> dict:
    """``benchmarks.<module>.run(**arguments)`` in its own process (tests import no benchmarks)."""
    code = ("import json, sys\n"
            f"from benchmarks.{module} import run\n"
            "print(json.dumps(run(**json.loads(sys.argv[1]))))")
    completed = subprocess.run([PYTHON, "-c", code, json.dumps(arguments)], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_history_benchmark_runs_and_reports_each_figure():
    result = run_benchmark("history", points=300_000, pixels=200, views=5)
    assert result["points"] == 300_000 and result["machine"]["cores"] >= 1
    assert 1.0 < result["memory_per_raw_byte"] < 1.2
    for figure in (result["append_batch_1000"], result["view_whole"]["ours"],
                   result["view_whole"]["numpy_scan"], result["zoom_handler"]):
        assert 0 < figure["p50_us"] <= figure["p99_us"]
    assert result["append_single_us_per_point"] > 0


def test_export_benchmark_runs_and_stays_within_a_chunk_of_memory():
    for paths in (1, 20):
        result = run_benchmark("export", points=300_000, paths=paths)
        assert result["points"] >= 300_000 and result["chunks"] > 2
        assert result["peak_traced_mb"] < 10  # about one chunk, never a copy of the history


def test_arrivals_smoke_run_reports_every_variant(tmp_path):
    completed = subprocess.run(
        [PYTHON, "-m", "benchmarks", "arrivals", "--smoke", "--out", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads((tmp_path / "arrivals.json").read_text())
    assert (tmp_path / "arrivals.md").read_text().startswith("Machine: ")
    assert set(result["variants"]) == {"brownian_panel", "panel_docs_idiom", "plain_bokeh"}
    for name, variant in result["variants"].items():
        page = variant["page_open"]
        assert 0 < page["cpu_ms_to_first_point"] <= page["cpu_ms_whole_page"], name
        assert 0 < page["wall_ms_to_first_point"] < 60_000, name
        crowd = variant["arrivals"]
        assert crowd["errors"] == 0 and crowd["within_5_s"] <= crowd["sessions"] == 3, name
        assert 0 < crowd["first_point_s_p50"] <= crowd["first_point_s_max"] < 60, name
        assert 0 < crowd["delivered_over_due"] <= 1.5, name
        assert 0 < variant["chromium"]["first_point_drawn_ms_median"] < 60_000, name
