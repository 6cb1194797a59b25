"""Unit checks of the strict engine's pieces that the corpus exercises only through Terraform."""

from __future__ import annotations

import json

from tfoffline import strict


def test_dashboard_shorthand_repeats_previous_row() -> None:
    rows = [
        ["AWS/EFS", "TimeSinceLastSync", "FileSystemId", "fs-1", "DestinationFileSystemId", "fs-2"],
        [".", "PercentIOLimit", ".", ".", {"stat": "Maximum"}],
        ["...", {"yAxis": "right"}],
        [{"expression": "m1 * 2"}],
    ]
    got = list(strict._widget_metrics(rows))
    assert got[0] == ("AWS/EFS", "TimeSinceLastSync", ["FileSystemId", "DestinationFileSystemId"])
    assert got[1] == ("AWS/EFS", "PercentIOLimit", ["FileSystemId"])
    assert got[2] == got[1]
    assert len(got) == 3


def test_metric_catalog_on_a_dashboard_body() -> None:
    rules = strict.load()
    body = {"widgets": [{"type": "metric", "properties": {"title": "lag", "metrics": [["AWS/EFS", "TimeSinceLastSync", "FileSystemId", "fs-1"]]}}]}
    found = strict.check_metrics(rules, "aws_cloudwatch_dashboard", {"dashboard_body": json.dumps(body)})
    assert [f.summary for f in found] == ["AWS/EFS TimeSinceLastSync is not published with dimensions [FileSystemId]"]
    body["widgets"][0]["properties"]["metrics"][0] += ["DestinationFileSystemId", "fs-2"]
    assert strict.check_metrics(rules, "aws_cloudwatch_dashboard", {"dashboard_body": json.dumps(body)}) == []


def test_unknown_values_are_skipped_like_the_sdk() -> None:
    class _Unknown:  # the provider's unknown sentinel is recognised by its type name
        pass

    rules = strict.load()
    cfg = {"name": _Unknown(), "port": 70000, "health_check": [{"interval": _Unknown(), "timeout": 1}]}
    found = strict.check_provider(rules, "aws_lb_target_group", cfg)
    assert sorted(f.summary for f in found) == [
        "expected health_check.0.timeout to be in the range (2 - 120), got 1",
        "expected port to be in the range (1 - 65535), got 70000",
    ]
    assert [f.path for f in found if "timeout" in f.summary] == [["health_check", 0, "timeout"]]


def test_cidr_network_address_rules() -> None:
    assert strict._ipv4_network_error("10.0.0.0/16") is None
    assert strict._ipv4_network_error("198.51.100.7/24") == "198.51.100.0/24"
    assert strict._ipv4_network_error("not-a-cidr") == ""


def test_api_first_error_only_and_coral_wording() -> None:
    rules = strict.load()
    planned = {"root_directory": [{"path": "/a/b/c/d/e", "creation_info": [{"permissions": "999"}]}]}
    found = strict.check_api(rules, "aws_efs_access_point", planned, "us-east-1", creating=True)
    assert len(found) == 1
    assert "api error BadRequest: 1 validation error detected: Value '/a/b/c/d/e' at 'rootDirectory.path'" in found[0].summary


def test_vpc_endpoint_service_names_from_botocore() -> None:
    rules = strict.load()
    ok = {"service_name": "com.amazonaws.eu-west-1.ecr.dkr", "region": "eu-west-1"}
    bad = {"service_name": "com.amazonaws.eu-west-1.ecr-dkr", "region": "eu-west-1"}
    assert strict.check_api(rules, "aws_vpc_endpoint", ok, "eu-west-1", creating=True) == []
    assert "InvalidServiceName" in strict.check_api(rules, "aws_vpc_endpoint", bad, "eu-west-1", creating=True)[0].summary


def test_counts_are_reported() -> None:
    counts = strict.load().counts()
    assert counts["provider_types"] >= 50 and counts["api_members"] >= 100 and counts["metric_namespaces"] == 7
