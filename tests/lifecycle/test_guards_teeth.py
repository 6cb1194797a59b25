"""The plan-file and protected-env guards, pinned with fast tests (the ones `make mutate` runs):
`apply --plan` refuses a plan made for another env, region, state or backend, or changed after
planning; a protected env's destructive apply or destroy needs its name; anything else needs a yes.
The Terraform-backed flows in test_tf_flow.py and test_bad_input.py go through the same guards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.config import EnvConfig, StateConfig
from chromactl.errors import ChromactlError, ConfigError, UsageError
from chromactl.lifecycle import planfile as P
from chromactl.lifecycle.guard import check_apply
from chromactl.lifecycle.summary import PlanSummary
from chromactl.output import Output

REGION = "us-east-1"
KEY = f"chromactl/prod/{REGION}/terraform.tfstate"


def env(tmp_path: Path, *, protected: bool = True, name: str = "prod") -> EnvConfig:
    d = tmp_path / "envs" / name
    d.mkdir(parents=True, exist_ok=True)
    return EnvConfig(name=name, kind="aws", dir=d, config_path=d / "chromactl.toml", protected=protected, primary_region=REGION,
                     state=StateConfig(bucket="chromactl-state", region="us-east-2", key_prefix="chromactl"))


# --- plan files ---------------------------------------------------------------------------------------


def saved_plan(tmp_path: Path, e: EnvConfig, *, destroy: bool = False) -> Path:
    plan = P.default_plan_path(e, REGION, destroy=destroy)
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_bytes(b"terraform plan bytes \x00\x01")
    P.write_sidecar(plan, env=e.name, region=REGION, state_key=KEY, backend="s3", terraform_version="1.15.5", destroy=destroy,
                    changes=True, summary={"totals": {"delete": 1}})
    return plan


def test_plan_paths_and_sidecar_round_trip(tmp_path: Path) -> None:
    e = env(tmp_path)
    assert P.default_plan_path(e, REGION) == e.dir / ".chromactl" / "plans" / f"{REGION}.tfplan"
    assert P.default_plan_path(e, REGION, destroy=True).name == f"{REGION}.destroy.tfplan"
    plan = saved_plan(tmp_path, e)
    side = P.sidecar_path(plan)
    assert side.name == f"{REGION}.tfplan.json" and not side.with_name(side.name + ".tmp").exists()
    data = json.loads(side.read_text())
    assert data["version"] == P.SIDECAR_VERSION and data["sha256"] == P.sha256_file(plan) and data["env"] == "prod"
    car = P.read_sidecar(plan, e, REGION, KEY, "s3")
    assert (car.env, car.region, car.state_key, car.backend, car.destroy, car.changes) == ("prod", REGION, KEY, "s3", False, True)
    assert car.summary == {"totals": {"delete": 1}} and car.terraform_version == "1.15.5"


def test_sha256_of_a_large_file_reads_every_chunk(tmp_path: Path) -> None:
    import hashlib

    big = tmp_path / "big"
    body = b"a" * (1 << 20) + b"b" * 17
    big.write_bytes(body)
    assert P.sha256_file(big) == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"region": "us-west-2"}, ConfigError, f"was made for env prod in {REGION}, not for prod in us-west-2"),
        ({"state_key": "chromactl/prod/us-east-1/other.tfstate"}, ConfigError, "was made against another state (s3:"),
        ({"backend": "local"}, ConfigError, "was made against another state"),
    ],
)
def test_plan_for_another_region_state_or_backend_is_refused(tmp_path: Path, kwargs: dict[str, str], error: type[ChromactlError],
                                                             fragment: str) -> None:
    e = env(tmp_path)
    plan = saved_plan(tmp_path, e)
    args = {"region": REGION, "state_key": KEY, "backend": "s3", **kwargs}
    with pytest.raises(error) as err:
        P.read_sidecar(plan, e, args["region"], args["state_key"], args["backend"])
    assert fragment in err.value.message


def test_plan_for_another_env_is_refused(tmp_path: Path) -> None:
    plan = saved_plan(tmp_path, env(tmp_path, name="staging"))
    with pytest.raises(ConfigError, match="was made for env staging"):
        P.read_sidecar(plan, env(tmp_path), REGION, KEY, "s3")


def test_plan_changed_after_planning_is_refused(tmp_path: Path) -> None:
    e = env(tmp_path)
    plan = saved_plan(tmp_path, e)
    plan.write_bytes(plan.read_bytes() + b"x")
    with pytest.raises(ConfigError, match="changed after it was made"):
        P.read_sidecar(plan, e, REGION, KEY, "s3")


def test_missing_plan_missing_or_broken_sidecar_are_refused(tmp_path: Path) -> None:
    e = env(tmp_path)
    with pytest.raises(UsageError, match="There is no saved plan"):
        P.read_sidecar(P.default_plan_path(e, REGION), e, REGION, KEY, "s3")
    plan = saved_plan(tmp_path, e)
    side = P.sidecar_path(plan)
    for broken in ("{not json", json.dumps({"env": "prod"}), json.dumps({**json.loads(side.read_text()), "sha256": None, "extra": 1})[:-1]):
        side.write_text(broken)
        with pytest.raises(UsageError, match="unreadable or incomplete"):
            P.read_sidecar(plan, e, REGION, KEY, "s3")
    side.unlink()
    with pytest.raises(UsageError, match="has no chromactl sidecar"):
        P.read_sidecar(plan, e, REGION, KEY, "s3")


def test_discard_removes_the_plan_and_its_sidecar(tmp_path: Path) -> None:
    e = env(tmp_path)
    plan = saved_plan(tmp_path, e)
    P.discard(plan)
    assert not plan.exists() and not P.sidecar_path(plan).exists()
    P.discard(plan)  # already gone: fine


# --- the protected-env guard -----------------------------------------------------------------------------


class Answers(Output):
    """An Output whose prompts are answered by the test (and recorded)."""

    def __init__(self, *, typed: str | None = None, yes: bool = False) -> None:
        super().__init__(json=True)
        self.typed, self.yes = typed, yes
        self.asked: list[tuple[str, Any]] = []

    def confirm_text(self, prompt: str, expected: str) -> bool:
        self.asked.append(("name", prompt))
        return self.typed == expected

    def confirm(self, prompt: str) -> bool:
        self.asked.append(("yes", prompt))
        return self.yes


def summary(**counts: int) -> PlanSummary:
    s = PlanSummary()
    for action, n in counts.items():
        for i in range(n):
            s.add(action, "aws_efs_file_system", f"module.stack.aws_efs_file_system.{action}{i}")
    return s


def test_protected_destructive_plan_needs_the_name_typed(tmp_path: Path) -> None:
    e = env(tmp_path)
    out = Answers(typed="prod")
    check_apply(e, REGION, summary(delete=1, create=2), out, auto_approve=True)
    assert out.asked[0][0] == "name" and "deletes or replaces 1 resource(s)" in out.asked[0][1]
    assert "module.stack.aws_efs_file_system.delete0" in out.asked[0][1]
    with pytest.raises(UsageError) as err:
        check_apply(e, REGION, summary(replace=1), Answers(typed="staging"), auto_approve=True)
    assert "Refusing" in err.value.message and "--yes alone is not enough" in (err.value.hint or "")


def test_protected_destroy_needs_the_name_even_with_nothing_destructive_counted(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="destroys the stack"):
        check_apply(env(tmp_path), REGION, summary(), Answers(), auto_approve=True, destroy=True)


def test_confirm_env_flag_must_match_the_name(tmp_path: Path) -> None:
    e = env(tmp_path)
    out = Answers()
    check_apply(e, REGION, summary(delete=3), out, auto_approve=False, confirm_env="prod")
    assert out.asked == []  # no prompt, and no y/N either
    with pytest.raises(UsageError, match="does not match the env name"):
        check_apply(e, REGION, summary(delete=3), out, auto_approve=True, confirm_env="prd")


def test_long_destructive_lists_are_cut_at_twenty(tmp_path: Path) -> None:
    out = Answers(typed="prod")
    check_apply(env(tmp_path), REGION, summary(delete=25), out, auto_approve=True)
    prompt = out.asked[0][1]
    assert prompt.count("  - module.stack") == 20 and "... and 5 more" in prompt


def test_allowed_protected_changes_and_unprotected_envs_go_by_auto_approve(tmp_path: Path) -> None:
    out = Answers()
    check_apply(env(tmp_path), REGION, summary(delete=1), out, auto_approve=True, allow_protected_changes=True)
    check_apply(env(tmp_path, protected=False), REGION, summary(delete=1), out, auto_approve=True)
    check_apply(env(tmp_path), REGION, summary(create=1, update=2), out, auto_approve=True)  # nothing destructive
    assert out.asked == []


def test_without_auto_approve_a_yes_is_needed(tmp_path: Path) -> None:
    e = env(tmp_path, protected=False)
    out = Answers(yes=True)
    check_apply(e, REGION, summary(delete=1), out, auto_approve=False)
    assert out.asked == [("yes", f"Apply to prod/{REGION} ({summary(delete=1).line()})?")]
    with pytest.raises(UsageError) as err:
        check_apply(e, REGION, summary(create=1), Answers(yes=False), auto_approve=False)
    assert err.value.message == f"Not applied: prod/{REGION} needs a yes to apply and none was given."
    assert "--yes" in (err.value.hint or "")


def test_the_prompt_lists_twenty_addresses_whole_and_counts_the_rest(tmp_path: Path) -> None:
    e = env(tmp_path)
    for n, tail in ((20, []), (21, ["  ... and 1 more"])):
        out = Answers(typed="prod")
        check_apply(e, REGION, summary(delete=n), out, auto_approve=True)
        lines = [f"  - module.stack.aws_efs_file_system.delete{i}" for i in range(min(n, 20))] + tail
        assert out.asked == [("name", f"[bold red]prod is a protected env and this plan deletes or replaces {n} resource(s) "
                                      f"(prod/{REGION})[/]:\n" + "\n".join(lines))]
    out = Answers(typed="prod")
    check_apply(e, REGION, summary(), out, auto_approve=True, destroy=True)
    assert out.asked == [("name", f"[bold red]prod is a protected env and this plan destroys the stack (prod/{REGION})[/]")]


def test_the_sidecar_records_when_in_utc_to_the_second(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    e = env(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    car = P.read_sidecar(saved_plan(tmp_path, e), e, REGION, KEY, "s3")
    created = datetime.fromisoformat(car.created)
    assert created.utcoffset() == timedelta(0) and car.created.endswith("+00:00") and created.microsecond == 0
    assert before <= created <= datetime.now(UTC)
