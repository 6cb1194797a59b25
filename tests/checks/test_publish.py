"""latency --publish: p50/p95/p99 land in CloudWatch (moto) under the names the Terraform alarm watches."""

from __future__ import annotations

import datetime as dt

import boto3
from chromactl.checks.latency import LatencyReport
from chromactl.checks.publish import METRICS, NAMESPACE, publish_latency

from tests.checks.helpers import run_cli
from tests.fixtures.envelope import result_of


def _stat(metric: str, env: str, region: str) -> list[dict]:
    cw = boto3.client("cloudwatch", region_name=region)
    now = dt.datetime.now(dt.UTC)
    resp = cw.get_metric_statistics(
        Namespace=NAMESPACE, MetricName=metric,
        Dimensions=[{"Name": "Env", "Value": env}, {"Name": "Region", "Value": region}],
        StartTime=now - dt.timedelta(minutes=10), EndTime=now + dt.timedelta(minutes=10), Period=60,
        Statistics=["Maximum"], Unit="Milliseconds",
    )
    return resp["Datapoints"]


def test_publish_writes_the_three_percentiles(aws_env) -> None:  # type: ignore[no-untyped-def]
    report = LatencyReport(mode="open", count=100, errors=0, duration_s=1.0, latencies_ms=[float(i) for i in range(1, 101)])
    sent = publish_latency(report, "prod", "eu-west-1")
    assert sent["namespace"] == "Chromactl" and set(sent["metrics"]) == {"LatencyP50", "LatencyP95", "LatencyP99"}
    assert [m for m, _ in METRICS] == ["LatencyP50", "LatencyP95", "LatencyP99"]
    p95 = _stat("LatencyP95", "prod", "eu-west-1")
    assert len(p95) == 1 and abs(p95[0]["Maximum"] - report.p95_ms) < 1e-6 and p95[0]["Unit"] == "Milliseconds"
    assert _stat("LatencyP99", "prod", "eu-west-1")[0]["Maximum"] >= p95[0]["Maximum"]
    assert _stat("LatencyP95", "staging", "eu-west-1") == []  # the Env dimension separates envs


def test_cli_publish_against_real_chroma(aws_env, chroma_server) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("--json", "latency", "--endpoint", chroma_server.url, "--queries", "50", "--seed-vectors", "100", "--dims", "8",
                  "--publish", "--publish-env", "dev", "--region", "us-east-1")
    assert res.returncode == 0, res.stderr
    data = result_of(res.stdout)
    assert data["published"]["dimensions"] == {"Env": "dev", "Region": "us-east-1"}
    points = _stat("LatencyP50", "dev", "us-east-1")
    assert len(points) == 1 and abs(points[0]["Maximum"] - data["latency_ms"]["p50"]) < 0.01


def test_publish_needs_dimensions() -> None:
    res = run_cli("latency", "--endpoint", "http://127.0.0.1:9", "--publish")
    assert res.returncode == 2 and "--publish needs an Env and a Region" in res.stderr
