"""Issue 12.2: `up` waits, bounded and with progress, for the stack's first token rotation.

The secret is as the first rotation leaves it mid-way: the first version carries AWSCURRENT and
AWSPENDING (createSecret ran) and the ALB (the real nginx) accepts no token yet (setSecret has not
run). The rotation completes only once `up` is waiting for it: a botocore hook on the CLI's own
Secrets Manager client plays the function on the CLI's 2nd DescribeSecret (the nginx rule takes
the token, AWSPENDING comes off). Before the fix `up` ran the smoke check at once and failed
(401 for the token it read); now it waits, says so, and passes. A rotation that never finishes
ends the wait at the timeout, naming the rotation function's log group."""

from __future__ import annotations

import secrets
import string
from typing import Any

import boto3
import pytest

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import REGION, assert_clean_error, make_stack, run_cli
from tests.lifecycle.test_up_flow import _svc_env


def _mid_first_rotation(name: str) -> tuple[str, str, str]:
    token = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64))
    sm = boto3.client("secretsmanager", region_name=REGION)
    created = sm.create_secret(Name=name, SecretString=token)
    sm.update_secret_version_stage(SecretId=created["ARN"], VersionStage="AWSPENDING", MoveToVersionId=created["VersionId"])
    stages = sm.describe_secret(SecretId=created["ARN"])["VersionIdsToStages"]
    assert sorted(stages[created["VersionId"]]) == ["AWSCURRENT", "AWSPENDING"]
    return created["ARN"], created["VersionId"], token


@pytest.fixture
def hook_describe(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `action` on the N-th DescribeSecret the CLI's Secrets Manager clients make."""
    from chromactl.aws.session import ClientFactory

    seen = {"n": 0}
    plan: dict[str, Any] = {}
    real = ClientFactory.client

    def client(self: Any, service: str, region: str | None = None, *a: Any, **k: Any) -> Any:
        c = real(self, service, region, *a, **k)
        if service == "secretsmanager":
            def on_describe(**_: Any) -> None:
                seen["n"] += 1
                if seen["n"] == plan.get("at") and plan.get("action"):
                    plan.pop("action")()
            c.meta.events.register("before-call.secrets-manager.DescribeSecret", on_describe)
        return c

    monkeypatch.setattr(ClientFactory, "client", client)

    def arm(at: int, action: Any) -> dict[str, int]:
        plan.update(at=at, action=action)
        return seen

    return arm


def test_up_waits_for_the_first_rotation_before_the_smoke_check(
    tiny_project, ecs_env, chroma_server, make_nginx_proxy, hook_describe  # type: ignore[no-untyped-def]
) -> None:
    arn, version, token = _mid_first_rotation("chroma-svc-token-first")
    proxy = make_nginx_proxy(chroma_server.url, [])  # setSecret has not run: no token accepted

    def rotation_finishes() -> None:
        proxy.set_tokens([token])
        boto3.client("secretsmanager", region_name=REGION).update_secret_version_stage(
            SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=version)

    seen = hook_describe(2, rotation_finishes)
    stack = make_stack(register=True)
    _svc_env(tiny_project, endpoint_url=proxy.url, token_secret_arn=arn, cluster_name=stack["cluster_name"],
             service_name=stack["service_name"], target_group_arn=stack["target_group_arn"])
    res = run_cli("up", "--env", "svc", "--sandbox", "--auto-approve", "--json", "--wait-timeout", "60")
    assert res.code == 0, res.err[-3000:]
    data = result_of(res.out)
    assert data["token"]["current_version"] == version and data["token"]["polls"] >= 2
    assert data["smoke"]["ok"] is True
    assert seen["n"] >= 2
    assert token not in res.out and token not in res.err


def test_up_names_the_log_group_when_the_rotation_never_finishes(
    tiny_project, ecs_env, chroma_server, make_nginx_proxy  # type: ignore[no-untyped-def]
) -> None:
    arn, _version, token = _mid_first_rotation("chroma-svc-token-stuck")
    proxy = make_nginx_proxy(chroma_server.url, [])
    stack = make_stack(register=True)
    _svc_env(tiny_project, endpoint_url=proxy.url, token_secret_arn=arn, cluster_name=stack["cluster_name"],
             service_name=stack["service_name"], target_group_arn=stack["target_group_arn"])
    res = run_cli("up", "--env", "svc", "--sandbox", "--auto-approve", "--wait-timeout", "2")
    assert_clean_error(res, 1, "did not finish within 2 s", "is still AWSPENDING", "--abandon-pending")
    assert token not in res.err and token not in res.out
