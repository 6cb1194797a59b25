"""The rotation function's steps and its ALB token rules, against an in-memory Secrets Manager and
listener, with fast tests (the ones `make mutate` runs): which tokens each step lets through the
rules, the staging labels it leaves, the grace of the previous token, and what it refuses.

Secrets Manager behaviour followed (AWS docs): a version's staging labels, AWSCURRENT moved with
UpdateSecretVersionStage puts AWSPREVIOUS on the version it left ("How rotation works",
https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html; API reference
UpdateSecretVersionStage); GetSecretValue of a missing version/stage is ResourceNotFoundException.
Listener rules: DescribeRules (Rules, NextMarker), CreateRule (PriorityInUse when taken), ModifyRule,
DescribeTags/AddTags (botocore/data/elbv2/2015-12-01/service-2.json). The moto- and nginx-backed
tests in tests/rotation run the same handler against moto's server and a real proxy."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.rotation.harness import load_handler

h = load_handler()
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chromactl-dev/alb-token-AbCdEf"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chromactl-dev/73e2d6bc24d8a067"
OTHER_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0123456789abcdef"
OLD, NEW = "11111111-2222-3333-4444-555555555555", "0f8c2f7e-6f5a-4d2b-9f3e-1a2b3c4d5e6f"
T_OLD, T_NEW = "a" * 64, "b" * 64


def client_error(code: str, op: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, op)


class FakeSM:
    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.versions: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def add(self, vid: str, value: str | None, *stages: str) -> None:
        self.versions[vid] = {"value": value, "stages": list(stages)}

    def stages(self) -> dict[str, list[str]]:
        return {v: list(d["stages"]) for v, d in self.versions.items() if d["stages"]}

    def describe_secret(self, *, SecretId: str) -> dict[str, Any]:
        assert SecretId == ARN
        return {"ARN": ARN, "RotationEnabled": self.enabled, "VersionIdsToStages": self.stages()}

    def get_secret_value(self, *, SecretId: str, VersionId: str | None = None, VersionStage: str | None = None) -> dict[str, Any]:
        assert SecretId == ARN
        for vid, d in self.versions.items():
            if (VersionId is None or vid == VersionId) and (VersionStage is None or VersionStage in d["stages"]):
                if d["value"] is None:
                    break
                return {"ARN": ARN, "VersionId": vid, "SecretString": d["value"], "VersionStages": list(d["stages"])}
        raise client_error("ResourceNotFoundException", "GetSecretValue")

    def put_secret_value(self, *, SecretId: str, ClientRequestToken: str, SecretString: str, VersionStages: list[str]) -> dict[str, Any]:
        assert SecretId == ARN
        self.calls.append("put_secret_value")
        for d in self.versions.values():
            d["stages"] = [s for s in d["stages"] if s not in VersionStages]
        old = self.versions.get(ClientRequestToken, {"stages": []})["stages"]
        self.versions[ClientRequestToken] = {"value": SecretString, "stages": sorted(set(old) | set(VersionStages))}
        return {"ARN": ARN, "VersionId": ClientRequestToken}

    def update_secret_version_stage(self, *, SecretId: str, VersionStage: str, MoveToVersionId: str | None = None,
                                    RemoveFromVersionId: str | None = None) -> dict[str, Any]:
        assert SecretId == ARN
        self.calls.append(f"update {VersionStage} {MoveToVersionId} {RemoveFromVersionId}")
        holder = next((v for v, d in self.versions.items() if VersionStage in d["stages"]), None)
        if holder is not None and MoveToVersionId is not None and holder != RemoveFromVersionId and holder != MoveToVersionId:
            raise client_error("InvalidParameterException", "UpdateSecretVersionStage")  # the label is elsewhere: name it
        if RemoveFromVersionId is not None:
            self.versions[RemoveFromVersionId]["stages"].remove(VersionStage)
        if MoveToVersionId is not None:
            self.versions[MoveToVersionId]["stages"].append(VersionStage)
            if VersionStage == "AWSCURRENT" and RemoveFromVersionId is not None:
                for d in self.versions.values():
                    if "AWSPREVIOUS" in d["stages"]:
                        d["stages"].remove("AWSPREVIOUS")
                self.versions[RemoveFromVersionId]["stages"].append("AWSPREVIOUS")
        return {"ARN": ARN}


def auth_rule(n: int, header: str, values: list[str], priority: int, tg: str = TG) -> dict[str, Any]:
    return {"RuleArn": f"{LISTENER.replace(':listener/', ':listener-rule/')}/{n:016x}", "Priority": str(priority),
            "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": values}}],
            "Actions": [{"Type": "forward", "TargetGroupArn": tg}], "IsDefault": False}


class FakeElb:
    def __init__(self, page: int = 2) -> None:
        self.rules: list[dict[str, Any]] = [
            {"RuleArn": f"{LISTENER}/default", "Priority": "default", "Conditions": [], "IsDefault": True,
             "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "401"}}]},
            {"RuleArn": f"{LISTENER}/heartbeat", "Priority": "1", "IsDefault": False,
             "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/v2/heartbeat"]}}],
             "Actions": [{"Type": "forward", "TargetGroupArn": TG}]},
        ]
        self.tags: dict[str, dict[str, str]] = {}
        self.page = page
        self.calls: list[str] = []
        self.race: dict[str, Any] | None = None  # a rule another writer creates just before our CreateRule

    def describe_rules(self, *, ListenerArn: str, PageSize: int, Marker: str | None = None) -> dict[str, Any]:
        assert ListenerArn == LISTENER and PageSize == 400
        start = int(Marker or 0)
        out: dict[str, Any] = {"Rules": [dict(r) for r in self.rules[start : start + self.page]]}
        if start + self.page < len(self.rules):
            out["NextMarker"] = str(start + self.page)
        return out

    def create_rule(self, *, ListenerArn: str, Priority: int, Conditions: list[Any], Actions: list[Any]) -> dict[str, Any]:
        assert ListenerArn == LISTENER
        self.calls.append(f"create {Priority}")
        if self.race is not None:
            self.rules.append(self.race)
            self.race = None
        if any(r["Priority"] == str(Priority) for r in self.rules):
            raise client_error("PriorityInUse", "CreateRule")
        rule = {"RuleArn": f"{LISTENER}/r{Priority}", "Priority": str(Priority), "Conditions": Conditions, "Actions": Actions,
                "IsDefault": False}
        self.rules.append(rule)
        return {"Rules": [rule]}

    def modify_rule(self, *, RuleArn: str, Conditions: list[Any], Actions: list[Any]) -> dict[str, Any]:
        self.calls.append(f"modify {RuleArn.rsplit('/', 1)[-1]}")
        rule = next(r for r in self.rules if r["RuleArn"] == RuleArn)
        rule.update(Conditions=Conditions, Actions=Actions)
        return {"Rules": [rule]}

    def describe_tags(self, *, ResourceArns: list[str]) -> dict[str, Any]:
        return {"TagDescriptions": [{"ResourceArn": a, "Tags": [{"Key": k, "Value": v} for k, v in self.tags.get(a, {}).items()]}
                                    for a in ResourceArns]}

    def add_tags(self, *, ResourceArns: list[str], Tags: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append(f"tag {len(ResourceArns)}")
        for a in ResourceArns:
            self.tags.setdefault(a, {}).update({t["Key"]: t["Value"] for t in Tags})
        return {}

    def accepted(self) -> dict[str, list[str]]:
        """header -> the values its token rule accepts (only rules that forward to the service's group)."""
        out = {}
        for r in self.rules:
            for c in r.get("Conditions") or []:
                if c["Field"] == "http-header" and r["Actions"] == [{"Type": "forward", "TargetGroupArn": TG}]:
                    out[c["HttpHeaderConfig"]["HttpHeaderName"].lower()] = list(c["HttpHeaderConfig"]["Values"])
        return out


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def settings(grace: float = 0.0) -> Any:
    return h.Settings(listener_arn=LISTENER, target_group_arn=TG, endpoint_url="http://127.0.0.1:9", grace_seconds=grace)


def rotation(sm: FakeSM, elb: FakeElb, version: str = NEW, *, grace: float = 0.0, clock: Clock | None = None) -> Any:
    return h.Rotation(ARN, version, settings(grace), sm, elb, clock=clock or Clock())


def accepts(*tokens: str) -> dict[str, list[str]]:
    return {"authorization": [f"Bearer {t}" for t in tokens], "x-chroma-token": list(tokens)}


def started() -> tuple[FakeSM, FakeElb]:
    """A secret with a current token and the rules accepting it; Secrets Manager's AWSPENDING placeholder for NEW."""
    sm, elb = FakeSM(), FakeElb()
    sm.add(OLD, T_OLD, "AWSCURRENT")
    sm.add(NEW, None, "AWSPENDING")
    elb.rules += [auth_rule(10, "Authorization", [f"Bearer {T_OLD}"], 10), auth_rule(20, "X-Chroma-Token", [T_OLD], 20)]
    return sm, elb


# --- the steps, in order ------------------------------------------------------------------------------------


def test_a_rotation_accepts_old_and_new_while_it_runs_and_only_the_new_one_after() -> None:
    sm, elb = started()
    rotation(sm, elb).run("createSecret")
    new_token = sm.versions[NEW]["value"]
    assert h.is_token(new_token) and new_token != T_OLD and sm.stages() == {OLD: ["AWSCURRENT"], NEW: ["AWSPENDING"]}
    assert elb.calls == []  # createSecret touches no rule
    rotation(sm, elb).run("setSecret")
    assert elb.accepted() == accepts(T_OLD, new_token)
    assert elb.calls == ["modify 000000000000000a", "modify 0000000000000014"]
    rotation(sm, elb).run("finishSecret")
    assert sm.stages() == {OLD: ["AWSPREVIOUS"], NEW: ["AWSCURRENT"]}  # AWSPENDING off last
    assert elb.accepted() == accepts(new_token)  # no grace: the old token is refused at once
    assert sm.calls[-2:] == [f"update AWSCURRENT {NEW} {OLD}", f"update AWSPENDING None {NEW}"]


def test_set_keeps_a_token_already_in_the_rules_unchanged() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    elb.rules[-2:] = [auth_rule(10, "Authorization", [f"Bearer {T_NEW}", f"Bearer {T_OLD}"], 10),
                      auth_rule(20, "X-Chroma-Token", [T_NEW, T_OLD], 20)]
    rotation(sm, elb).set()
    assert elb.calls == []  # same values in another order: unchanged
    elb.rules[-1] = auth_rule(20, "X-Chroma-Token", [T_NEW, T_OLD], 20, tg=OTHER_TG)  # forwards elsewhere
    rotation(sm, elb).set()
    assert elb.calls == ["modify 0000000000000014"]
    assert {k: sorted(v) for k, v in elb.accepted().items()} == accepts(T_OLD, T_NEW)  # the unchanged rule keeps its order


def test_set_rewrites_a_rule_with_duplicate_values_or_another_condition() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    elb.rules[-2:] = [auth_rule(10, "Authorization", [f"Bearer {T_OLD}", f"Bearer {T_NEW}", f"Bearer {T_OLD}"], 10),
                      auth_rule(20, "X-Chroma-Token", [T_OLD, T_NEW], 20)]
    elb.rules[-1]["Conditions"].append({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x"]}})
    rotation(sm, elb).set()
    assert elb.calls == ["modify 000000000000000a", "modify 0000000000000014"]
    assert elb.rules[-1]["Conditions"] == [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Chroma-Token",
                                                                                          "Values": [T_OLD, T_NEW]}}]


def test_a_forward_config_to_the_service_group_counts_as_forwarding() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    for r in elb.rules[-2:]:
        header = r["Conditions"][0]["HttpHeaderConfig"]["HttpHeaderName"]
        r["Conditions"][0]["HttpHeaderConfig"]["Values"] = [f"Bearer {t}" if header == "Authorization" else t for t in (T_OLD, T_NEW)]
        r["Actions"] = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]}}]
    rotation(sm, elb).set()
    assert elb.calls == []
    elb.rules[-1]["Actions"] = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG}, {"TargetGroupArn": OTHER_TG}]}}]
    elb.rules[-2]["Actions"] = [{"Type": "redirect", "TargetGroupArn": TG}]
    rotation(sm, elb).set()
    assert elb.calls == ["modify 000000000000000a", "modify 0000000000000014"]


def test_the_first_rotation_creates_both_rules() -> None:
    sm, elb = FakeSM(), FakeElb(page=1)
    sm.add(NEW, None, "AWSPENDING")
    rotation(sm, elb).run("createSecret")
    rotation(sm, elb).run("setSecret")
    token = sm.versions[NEW]["value"]
    assert elb.calls == ["create 10", "create 20"] and elb.accepted() == accepts(token)
    assert [r["Priority"] for r in elb.rules[-2:]] == ["10", "20"]
    rotation(sm, elb).run("setSecret")  # found again across pages (one rule a page): unchanged
    assert elb.calls == ["create 10", "create 20"]


def test_a_rule_created_concurrently_is_rewritten_as_wanted() -> None:
    sm, elb = FakeSM(), FakeElb()
    sm.add(NEW, T_NEW, "AWSPENDING")
    elb.race = auth_rule(99, "Authorization", ["Bearer " + "c" * 64], 10)
    rotation(sm, elb).set()
    assert elb.calls == ["create 10", "modify 0000000000000063", "create 20"] and elb.accepted() == accepts(T_NEW)


def test_a_create_refused_for_another_reason_is_raised() -> None:
    sm, elb = FakeSM(), FakeElb()
    sm.add(NEW, T_NEW, "AWSPENDING")
    elb.create_rule = lambda **kw: (_ for _ in ()).throw(client_error("TooManyRules", "CreateRule"))  # type: ignore[method-assign]
    with pytest.raises(ClientError):
        rotation(sm, elb).set()


def test_foreign_rules_at_the_token_priorities_or_second_token_rules_are_refused() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    elb.rules[-1] = auth_rule(20, "X-Other", [T_OLD], 20)
    with pytest.raises(h.RotationError, match="Priority 20 .* is not the X-Chroma-Token token rule"):
        rotation(sm, elb).set()
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    elb.rules.append(auth_rule(30, "x-chroma-token", [T_OLD], 30))
    with pytest.raises(h.RotationError, match="second X-Chroma-Token rule .* at priority 30"):
        rotation(sm, elb).set()
    assert elb.calls == []


def test_a_missing_listener_is_named() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    elb.describe_rules = lambda **kw: (_ for _ in ()).throw(client_error("ListenerNotFound", "DescribeRules"))  # type: ignore[method-assign]
    with pytest.raises(h.RotationError, match="was not found: apply the stack"):
        rotation(sm, elb).set()
    elb.describe_rules = lambda **kw: (_ for _ in ()).throw(client_error("Throttling", "DescribeRules"))  # type: ignore[method-assign]
    with pytest.raises(ClientError):
        rotation(sm, elb).set()


# --- run(): which version, which step ---------------------------------------------------------------------


def test_run_refuses_a_secret_without_rotation_and_unknown_or_unpending_versions() -> None:
    sm, elb = started()
    sm.enabled = False
    with pytest.raises(h.RotationError, match="does not have rotation enabled"):
        rotation(sm, elb).run("createSecret")
    sm, elb = started()
    for step in ("setSecret", "testSecret", "finishSecret"):
        with pytest.raises(h.RotationError, match="does not exist"):
            rotation(sm, elb, version="99999999-0000-0000-0000-000000000000").run(step)
    sm.add("77777777-0000-0000-0000-000000000000", T_NEW, "AWSPREVIOUS")
    with pytest.raises(h.RotationError, match="is not AWSPENDING"):
        rotation(sm, elb, version="77777777-0000-0000-0000-000000000000").run("setSecret")
    assert elb.calls == [] and sm.calls == []


def test_create_for_a_version_secrets_manager_did_not_make_stores_it() -> None:
    sm, elb = FakeSM(), FakeElb()
    rotation(sm, elb).run("createSecret")
    assert sm.stages() == {NEW: ["AWSPENDING"]} and h.is_token(sm.versions[NEW]["value"])


def test_a_version_already_current_is_left_alone_except_finish_checks_the_rules() -> None:
    sm, elb = FakeSM(), FakeElb()
    sm.add(NEW, T_NEW, "AWSCURRENT")
    for step in ("createSecret", "setSecret", "testSecret"):
        rotation(sm, elb).run(step)
    assert elb.calls == [] and sm.calls == []
    rotation(sm, elb).run("finishSecret")
    assert elb.accepted() == accepts(T_NEW) and sm.calls == []


def test_current_and_still_pending_runs_the_step() -> None:
    sm, elb = FakeSM(), FakeElb()
    sm.add(NEW, T_NEW, "AWSCURRENT", "AWSPENDING")  # the first version of a secret created without a value
    rotation(sm, elb).run("finishSecret")
    assert sm.stages() == {NEW: ["AWSCURRENT"]} and elb.accepted() == accepts(T_NEW)
    assert sm.calls == [f"update AWSPENDING None {NEW}"]  # AWSCURRENT already on it: not moved


def test_create_keeps_an_existing_pending_token_and_refuses_a_malformed_one() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    rotation(sm, elb).run("createSecret")
    assert sm.calls == [] and sm.versions[NEW]["value"] == T_NEW
    sm.versions[NEW]["value"] = "*"
    with pytest.raises(h.RotationError, match="AWSPENDING value of version .* is not a 64-character"):
        rotation(sm, elb).run("createSecret")
    sm.get_secret_value = lambda **kw: (_ for _ in ()).throw(client_error("AccessDeniedException", "GetSecretValue"))  # type: ignore[method-assign]
    with pytest.raises(ClientError):
        rotation(sm, elb).run("createSecret")


def test_set_refuses_a_malformed_pending_token_and_leaves_a_malformed_current_one_out() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = "not a token"
    with pytest.raises(h.RotationError, match="AWSPENDING value"):
        rotation(sm, elb).set()
    sm.versions[NEW]["value"] = T_NEW
    sm.versions[OLD]["value"] = "*"  # a wildcard would match anything: never into a rule
    rotation(sm, elb).set()
    assert elb.accepted() == accepts(T_NEW)


def test_finish_refuses_a_malformed_current_token() -> None:
    sm, elb = FakeSM(), FakeElb()
    sm.add(NEW, "*" * 64, "AWSCURRENT", "AWSPENDING")
    with pytest.raises(h.RotationError, match="AWSCURRENT value is not a 64-character"):
        rotation(sm, elb).run("finishSecret")
    assert elb.calls == [] and sm.stages() == {NEW: ["AWSCURRENT", "AWSPENDING"]}


def test_a_current_token_that_cannot_be_read_is_raised_in_finish() -> None:
    sm, elb = FakeSM(), FakeElb()
    sm.add(NEW, T_NEW, "AWSPENDING")
    with pytest.raises(ClientError):  # no AWSCURRENT after the move would be a broken secret: not hidden
        h.Rotation(ARN, NEW, settings(), sm, elb)._required_current_token()


def test_apply_refuses_an_empty_or_malformed_token_list() -> None:
    sm, elb = started()
    for tokens in ([], ["*"], [T_NEW, "short"]):
        with pytest.raises(h.RotationError, match="without valid tokens"):
            rotation(sm, elb)._apply(tokens, "setSecret")
    rotation(sm, elb)._apply([T_NEW, T_NEW], "setSecret")
    assert elb.accepted() == accepts(T_NEW)  # each token once


# --- the previous token's grace ------------------------------------------------------------------------------


def test_finish_keeps_the_previous_token_for_the_grace_and_drops_it_after() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    clock = Clock()
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")
    assert elb.accepted() == accepts(T_NEW, T_OLD)
    arns = [r["RuleArn"] for r in elb.rules[-2:]]
    until = str(int(clock.now + 600))
    assert elb.tags == {a: {h.GRACE_UNTIL_TAG: until, h.GRACE_FOR_TAG: NEW} for a in arns}
    clock.now += 300
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")  # a retried finish: the grace is not extended
    assert elb.tags[arns[0]][h.GRACE_UNTIL_TAG] == until and elb.accepted() == accepts(T_NEW, T_OLD)
    clock.now += 300  # the grace ends now
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")
    assert elb.accepted() == accepts(T_NEW)


def test_the_next_rotation_keeps_the_previous_token_only_while_its_grace_runs() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    clock = Clock()
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")
    third, t_third = "22222222-3333-4444-5555-666666666666", "c" * 64
    sm.add(third, t_third, "AWSPENDING")
    clock.now += 100
    rotation(sm, elb, third, grace=600, clock=clock).set()
    assert elb.accepted() == accepts(T_NEW, t_third, T_OLD)  # current, pending, and the previous still in its grace
    clock.now += 600
    rotation(sm, elb, third, grace=600, clock=clock).set()
    assert elb.accepted() == accepts(T_NEW, t_third)


def test_no_grace_when_it_is_zero_or_the_previous_version_is_gone() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    rotation(sm, elb, grace=0).run("finishSecret")
    assert elb.tags == {} and elb.accepted() == accepts(T_NEW)
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    r = rotation(sm, elb, grace=600)
    sm.versions[OLD]["value"] = None  # AWSPREVIOUS unreadable (deleted): nothing to keep
    r.run("finishSecret")
    assert elb.accepted() == accepts(T_NEW)


def test_grace_tags_are_read_only_when_both_are_there_and_numeric() -> None:
    elb = FakeElb()
    elb.rules += [auth_rule(10, "Authorization", ["Bearer " + T_OLD], 10), auth_rule(20, "X-Chroma-Token", [T_OLD], 20)]
    rules = h.AuthRules(elb, LISTENER, TG)
    a10, a20 = elb.rules[-2]["RuleArn"], elb.rules[-1]["RuleArn"]
    assert rules.grace() is None
    elb.tags[a10] = {h.GRACE_UNTIL_TAG: "soon", h.GRACE_FOR_TAG: NEW}
    assert rules.grace() is None
    elb.tags[a10] = {h.GRACE_UNTIL_TAG: "1800000600"}
    assert rules.grace() is None
    elb.tags[a20] = {h.GRACE_UNTIL_TAG: "1800000600", h.GRACE_FOR_TAG: NEW}
    assert rules.grace() == (1800000600, NEW)
    assert h.AuthRules(FakeElb(), LISTENER, TG).grace() is None  # no token rules: no tags to read


def test_too_many_tokens_for_a_condition_are_refused_before_any_write() -> None:
    elb = FakeElb()
    with pytest.raises(h.RotationError, match="at most 3"):
        h.AuthRules(elb, LISTENER, TG).ensure([c * 64 for c in "abcd"])
    assert elb.calls == []
    assert h.AuthRules(elb, LISTENER, TG).ensure([c * 64 for c in "abc"]) == {"authorization": "created", "x-chroma-token": "created"}


def test_a_retried_finish_does_not_extend_the_grace() -> None:
    """finishSecret failed after the rules (AWSPENDING still on the new version) and runs again: the
    grace granted the first time stands."""
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    clock = Clock()
    rotation(sm, elb, grace=600, clock=clock).finish()
    until = str(int(clock.now + 600))
    sm.versions[NEW]["stages"].append("AWSPENDING")  # the last call of the first try did not happen
    clock.now += 300
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")
    assert {t[h.GRACE_UNTIL_TAG] for t in elb.tags.values()} == {until}
    assert elb.accepted() == accepts(T_NEW, T_OLD) and sm.stages() == {OLD: ["AWSPREVIOUS"], NEW: ["AWSCURRENT"]}


def test_a_one_second_grace_is_a_grace() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    rotation(sm, elb, grace=1).run("finishSecret")
    assert elb.accepted() == accepts(T_NEW, T_OLD)


def test_the_previous_token_needs_a_grace_setting_a_grace_for_this_version_and_a_valid_value() -> None:
    def rotated() -> tuple[FakeSM, FakeElb, Clock]:
        sm, elb = started()
        sm.versions[NEW]["value"] = T_NEW
        clock = Clock()
        rotation(sm, elb, grace=600, clock=clock).run("finishSecret")  # tags: grace for NEW until now + 600
        return sm, elb, clock

    sm, elb, clock = rotated()
    rotation(sm, elb, grace=0, clock=clock).run("finishSecret")  # grace switched off since: the previous goes now
    assert elb.accepted() == accepts(T_NEW)
    sm, elb, clock = rotated()
    for tags in elb.tags.values():
        tags[h.GRACE_FOR_TAG] = OLD  # a grace granted with another version
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")
    assert elb.accepted() == accepts(T_NEW)
    sm, elb, clock = rotated()
    sm.versions[OLD]["value"] = "*"  # never into a rule, and no refusal either
    rotation(sm, elb, grace=600, clock=clock).run("finishSecret")
    assert elb.accepted() == accepts(T_NEW)


def test_set_on_a_version_already_current_adds_no_previous_token() -> None:
    """The pending version is also AWSCURRENT (its own grace runs): set accepts it alone, not AWSPREVIOUS."""
    sm, elb = FakeSM(), FakeElb()
    sm.add(OLD, T_OLD, "AWSPREVIOUS")
    sm.add(NEW, T_NEW, "AWSCURRENT", "AWSPENDING")
    elb.rules += [auth_rule(10, "Authorization", [f"Bearer {T_NEW}"], 10), auth_rule(20, "X-Chroma-Token", [T_NEW], 20)]
    clock = Clock()
    for r in elb.rules[-2:]:
        elb.tags[r["RuleArn"]] = {h.GRACE_UNTIL_TAG: str(int(clock.now + 600)), h.GRACE_FOR_TAG: NEW}
    rotation(sm, elb, grace=600, clock=clock).set()
    assert elb.accepted() == accepts(T_NEW) and elb.calls == []


def test_run_dispatches_each_step_to_its_method(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    for method in ("create", "set", "test", "finish"):
        monkeypatch.setattr(h.Rotation, method, lambda self, m=method: called.append(m))
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        sm, elb = started()
        rotation(sm, elb).run(step)
    assert called == ["create", "set", "test", "finish"]


def test_ensure_says_what_it_did_to_each_rule() -> None:
    elb = FakeElb()
    rules = h.AuthRules(elb, LISTENER, TG)
    assert rules.ensure([T_OLD]) == {"authorization": "created", "x-chroma-token": "created"}
    assert rules.ensure([T_OLD]) == {"authorization": "unchanged", "x-chroma-token": "unchanged"}
    assert rules.ensure([T_OLD, T_NEW]) == {"authorization": "updated", "x-chroma-token": "updated"}


def test_a_grace_pending_on_new_rules_tags_both_once() -> None:
    elb = FakeElb()
    rules = h.AuthRules(elb, LISTENER, TG)
    rules.pending_grace = (1800000600, NEW)
    rules.ensure([T_NEW])
    assert sorted(elb.tags) == [f"{LISTENER}/r10", f"{LISTENER}/r20"]
    assert all(t == {h.GRACE_UNTIL_TAG: "1800000600", h.GRACE_FOR_TAG: NEW} for t in elb.tags.values())
    assert rules.pending_grace is None
    rules.ensure([T_NEW])  # written once: the next ensure has nothing pending
    assert elb.calls.count("tag 2") == 1 and rules.grace() == (1800000600, NEW)


def test_a_missing_first_rule_is_created_beside_the_second() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    del elb.rules[-2]  # the Authorization rule is gone, the X-Chroma-Token one is there
    rotation(sm, elb).set()
    assert elb.calls == ["create 10", "modify 0000000000000014"] and elb.accepted() == accepts(T_OLD, T_NEW)


def test_a_token_rule_only_at_a_foreign_priority_is_refused() -> None:
    sm, elb = started()
    sm.versions[NEW]["value"] = T_NEW
    elb.rules[-1] = auth_rule(30, "X-Chroma-Token", [T_OLD], 30)
    with pytest.raises(h.RotationError, match="second X-Chroma-Token rule .* at priority 30"):
        rotation(sm, elb).set()


def test_rule_values_are_bounded_by_the_albs_128_characters_and_refuse_wildcards() -> None:
    assert h.rule_values("X-Chroma-Token", ["a" * 128]) == ["a" * 128]
    assert h.rule_values("Authorization", ["a" * 121]) == ["Bearer " + "a" * 121]
    for bad in (["a" * 129], ["a?b"], ["a*b"]):
        with pytest.raises(h.RotationError, match="128 characters or contain a wildcard"):
            h.rule_values("X-Chroma-Token", bad)
    with pytest.raises(h.RotationError, match="128"):  # "Bearer " counts
        h.rule_values("authorization", ["a" * 122])


def test_condition_values_of_plain_conditions_add_up_and_a_null_config_counts_nothing() -> None:
    assert h.condition_value_count([{"Field": "host-header", "Values": ["a", "b"]}, {"Field": "path-pattern", "Values": ["c"]}]) == 3
    assert h.condition_value_count([{"Field": "http-header", "HttpHeaderConfig": None, "Values": ["a"]}]) == 1


def test_the_test_step_budget_ends_before_lambda_stops_the_invocation() -> None:
    """testSecret's deadline: the configured budget, or the invocation's remaining time less 5 s when
    that is shorter, and never less than 1 s."""
    import time

    sm, elb = started()
    for remaining, budget in ((None, 40.0), (100.0, 40.0), (20.0, 15.0), (3.0, 1.0)):
        now = time.monotonic()
        r = h.Rotation(ARN, NEW, settings(), sm, elb, remaining_s=remaining)
        assert budget <= r.test_deadline - now <= budget + 0.5, (remaining, r.test_deadline - now)
