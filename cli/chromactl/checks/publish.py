"""Publish latency percentiles to CloudWatch.

Namespace "Chromactl"; metrics LatencyP50, LatencyP95, LatencyP99 (unit
Milliseconds); dimensions Env and Region. The stack's Terraform alarm watches
LatencyP95 with exactly these dimensions: keep the names in step with it.
"""

from __future__ import annotations

from typing import Any

from chromactl.aws.session import ClientFactory, describe_aws_error
from chromactl.errors import OperationFailed

NAMESPACE = "Chromactl"
METRICS = (("LatencyP50", "p50"), ("LatencyP95", "p95"), ("LatencyP99", "p99"))


def metric_data(report: Any, env: str, region: str) -> list[dict[str, Any]]:
    dims = [{"Name": "Env", "Value": env}, {"Name": "Region", "Value": region}]
    data = []
    for metric, key in METRICS:
        value = report.pct(key)
        if value is None:
            continue
        data.append({"MetricName": metric, "Dimensions": dims, "Value": float(value), "Unit": "Milliseconds"})
    return data


def publish_latency(report: Any, env: str, region: str, *, factory: Any = None, profile: str | None = None) -> dict[str, Any]:
    """PutMetricData for p50/p95/p99 of `report` into `region`. Returns what was sent."""
    data = metric_data(report, env, region)
    if not data:
        raise OperationFailed("No latency measured, so nothing to publish.", "Check the errors in the report.")
    cw = (factory or ClientFactory(profile=profile)).client("cloudwatch", region)
    try:
        cw.put_metric_data(Namespace=NAMESPACE, MetricData=data)
    except Exception as exc:  # noqa: BLE001 - botocore errors, turned into a sentence
        raise OperationFailed(
            f"Could not publish latency metrics to CloudWatch in {region}: {describe_aws_error(exc)}.",
            "Check credentials and the cloudwatch:PutMetricData permission.",
        ) from None
    return {
        "namespace": NAMESPACE,
        "region": region,
        "dimensions": {"Env": env, "Region": region},
        "metrics": {d["MetricName"]: round(d["Value"], 3) for d in data},
        "unit": "Milliseconds",
    }
