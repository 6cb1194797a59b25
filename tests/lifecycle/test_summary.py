"""The plan summary: the `plan -json` stream and `show -json` of the same saved plan agree,
and a crafted plan JSON maps every action list the way Terraform means it."""

from __future__ import annotations

from chromactl.lifecycle.summary import from_plan_json

from tests.lifecycle.conftest import TinyProject, run_cli


def test_stream_and_show_json_agree_on_a_real_plan(tiny_project: TinyProject) -> None:
    from chromactl.config import load_env
    from chromactl.lifecycle.plan import plan, show_plan
    from chromactl.output import Output
    from chromactl.terraform.runner import Runner

    assert run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks").code == 0
    tiny_project.set_tfvar("tiny", 'size = "large"\ngeneration = 2\n')
    env = load_env("tiny")
    out = Output(json=True)
    runner = Runner(env, "us-east-1", out)
    result = plan(env, "us-east-1", out, runner=runner)
    from_stream = result.summary.to_dict()
    from_show = show_plan(runner, result.path).to_dict()
    assert from_stream == from_show
    assert from_show["totals"] == {"create": 0, "update": 1, "replace": 1, "delete": 0}
    assert from_show["destructive"] == ["terraform_data.disk"]
    assert from_show["output_changes"] == 1  # endpoint_url changes with size


def test_crafted_plan_json() -> None:
    plan = {
        "resource_changes": [
            {"address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "change": {"actions": ["no-op"]}},
            {"address": "data.aws_region.x", "mode": "data", "type": "aws_region", "change": {"actions": ["read"]}},
            {"address": "aws_lb.a", "mode": "managed", "type": "aws_lb", "change": {"actions": ["create"]}},
            {"address": "aws_lb.b", "mode": "managed", "type": "aws_lb", "change": {"actions": ["create"]}},
            {"address": "aws_ecs_service.s", "mode": "managed", "type": "aws_ecs_service", "change": {"actions": ["update"]}},
            {"address": "aws_efs_file_system.d", "mode": "managed", "type": "aws_efs_file_system", "change": {"actions": ["delete", "create"]}},
            {"address": "aws_lb_listener.l", "mode": "managed", "type": "aws_lb_listener", "change": {"actions": ["create", "delete"]}},
            {"address": "aws_s3_bucket.old", "mode": "managed", "type": "aws_s3_bucket", "change": {"actions": ["delete"]}},
        ],
        "output_changes": {"endpoint_url": {"actions": ["update"]}, "same": {"actions": ["no-op"]}},
    }
    s = from_plan_json(plan)
    assert s.to_dict()["totals"] == {"create": 2, "update": 1, "replace": 2, "delete": 1}
    assert s.rows()[0] == {"action": "create", "type": "aws_lb", "count": 2}
    assert [r["action"] for r in s.rows()] == ["create", "update", "replace", "replace", "delete"]
    assert s.destructive == 3 and s.destructive_addresses() == ["aws_efs_file_system.d", "aws_lb_listener.l", "aws_s3_bucket.old"]
    assert s.output_changes == 1
    assert s.line() == "2 to create, 1 to update, 2 to replace, 1 to delete"
    empty = from_plan_json({"resource_changes": [], "output_changes": {}})
    assert not empty.has_resource_changes and empty.destructive == 0
