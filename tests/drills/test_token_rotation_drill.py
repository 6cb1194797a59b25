"""token-rotation: the real rotation handler's four steps against moto (Secrets Manager,
ELBv2 rules), the accepted tokens mirrored into a real nginx in front of a real Chroma
after every step (the ALB's rule), clients querying throughout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chromactl.drills.core import run_drill
from chromactl.drills.token_rotation import RotatingLoad

from tests.drills.conftest import quiet
from tests.rotation import harness


@pytest.fixture
def rig(aws_env: Any, chroma_server: Any, make_nginx_proxy: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.drills.conftest import write_env

    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    write_env(root, "dev", protected=False)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    proxy = make_nginx_proxy(chroma_server.url, [])
    stack = harness.build_alb()
    secret = harness.create_secret()
    for key, value in {"LISTENER_ARN": stack.listener_arn, "SECRET_ARN": secret, "GRACE_SECONDS": "0", "TARGET_GROUP_ARN": stack.target_group_arn,
                       "ENDPOINT_URL": proxy.url, "VERIFY_TLS": "false", "HTTP_TIMEOUT_SECONDS": "3", "TEST_ATTEMPTS": "3",
                       "TEST_RETRY_DELAY_SECONDS": "0.2"}.items():
        monkeypatch.setenv(key, value)
    rotator = harness.Rotator(handler=harness.load_handler(), secret_arn=secret, stack=stack, set_tokens=proxy.set_tokens)
    rotator.rotate()  # the first token, as the stack's creation leaves it
    yield {"rotator": rotator, "proxy": proxy, "outputs": {"token_secret_arn": secret, "endpoint_url": proxy.url},
           "chroma": chroma_server}


def bench_collections(chroma: Any) -> list[str]:
    return [n for n in chroma.collection_names() if n.startswith("chromactl-bench-")]


def test_rotation_under_load_has_zero_errors(rig: dict[str, Any]) -> None:
    rotator = rig["rotator"]
    old = harness.value(rotator.secret_arn)
    steps_seen: list[str] = []

    def rotate(ctx: Any) -> dict[str, Any]:
        return {"version": rotator.rotate(after_step=steps_seen.append)}

    result = run_drill("dev", "token-rotation", output=quiet(), outputs=rig["outputs"], rotate=rotate, poll_s=0.1, timeout_s=60)
    data = result.to_dict()
    assert result.passed, data
    assert steps_seen == list(harness.STEPS)
    load = result.details["load"]
    assert load["errors"] == 0 and load["requests"] >= 20 and load["with_new_token"] > 0
    # the old token was accepted until finishSecret; clients holding it then got one 401 each and refreshed
    assert 1 <= load["refused_then_refreshed"] <= 2
    assert result.details["after"] == {"old_token": 401, "no_token": 401, "new_token": 200}
    assert harness.value(rotator.secret_arn) != old
    assert not bench_collections(rig["chroma"]) and data["cleanup_ok"]
    print(f"\ntoken-rotation: {load['requests']} requests, {load['errors']} errors, {load['refused_then_refreshed']} refreshed, "
          f"{load['with_new_token']} with the new token; rotation {result.measured_s:.2f} s; p99 {load['p99_ms']} ms")


def test_a_client_that_never_refreshes_would_see_errors(rig: dict[str, Any]) -> None:
    """The drill's error count has teeth: a client that keeps the old token fails after finishSecret."""
    from chromactl.checks.latency import prepare_workload, remove_workload
    from chromactl.checks.target import Target

    rotator = rig["rotator"]
    old = harness.value(rotator.secret_arn)
    target = Target(url=rig["proxy"].url, token=old)
    wl = prepare_workload(target, seed_vectors=50, dims=8, n_results=3)
    try:
        load = RotatingLoad(wl.url, wl.bodies, lambda: old, workers=1, rate_per_worker=50).start()
        rotator.rotate()
        import time

        time.sleep(0.5)
        stats = load.stop()
    finally:
        remove_workload(Target(url=rig["proxy"].url, token=harness.value(rotator.secret_arn)), wl)
    assert stats.errors > 0 and any("401" in s for s in stats.error_samples)


def test_failure_mid_rotation_cleans_up(rig: dict[str, Any]) -> None:
    """The rotation fails after setSecret: the drill fails, the load stops, the seeded collection is removed,
    and the current token still works (the handler's guarantee)."""
    rotator = rig["rotator"]
    current = harness.value(rotator.secret_arn)

    def rotate(ctx: Any) -> dict[str, Any]:
        version = str(uuid.uuid4())
        rotator.step("createSecret", version)
        rotator.step("setSecret", version)
        raise RuntimeError("injected failure after setSecret")

    result = run_drill("dev", "token-rotation", output=quiet(), outputs=rig["outputs"], rotate=rotate, poll_s=0.1, timeout_s=60)
    assert not result.passed and "injected failure" in result.error
    names = [c["name"] for c in result.cleanup]
    assert names[0] == "client load" and names[1].startswith("benchmark collection") and all(c["ok"] for c in result.cleanup)
    assert not bench_collections(rig["chroma"])
    assert result.details["load"]["errors"] == 0
    assert rig["proxy"].status_for(current) == 200
