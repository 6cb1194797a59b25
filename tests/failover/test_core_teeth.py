"""The failover's offline parts, value by value, with fast tests (the ones `make mutate` runs): which
endpoint the gate dials and whether it verifies TLS (gate_endpoint), what validate accepts, where the
journal lives and what a dry run reads from it, and the protected-env prompt."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import UsageError
from chromactl.failover import core
from chromactl.failover.core import gate_endpoint, run_failover, validate
from chromactl.failover.journal import Journal, journal_path
from chromactl.output import Output

from tests.failover.conftest import PRIMARY, TARGET, write_env

ALB = "chromactl-prod-123.us-west-2.elb.amazonaws.com"


@pytest.mark.parametrize(("outputs", "want"), [
    ({"endpoint_url": "https://x.example.com"}, ("https://x.example.com", True, None)),
    ({"endpoint_url": "https://x.example.com", "endpoint_tls_verifiable": True}, ("https://x.example.com", True, None)),
    ({"endpoint_url": "https://x.example.com", "endpoint_tls_verifiable": False}, ("https://x.example.com", False, None)),
    ({"endpoint_url": "https://x.example.com", "alb_dns_name": ALB + "."}, (f"https://{ALB}", True, "x.example.com")),
    ({"endpoint_url": "https://x.example.com", "alb_dns_name": ALB, "endpoint_tls_verifiable": False}, (f"https://{ALB}", False, None)),
    ({"endpoint_url": f"https://{ALB}", "alb_dns_name": ALB + "."}, (f"https://{ALB}", False, None)),  # no domain: the ALB's own name
    ({"endpoint_url": "https:///x", "alb_dns_name": ALB}, (f"https://{ALB}", False, None)),  # no host to verify
    ({"endpoint_url": "https://.x.example.com.", "alb_dns_name": "." + ALB + "."}, (f"https://.{ALB}", True, ".x.example.com.")),
    # only the root's trailing dot is stripped from the ALB's name, never its last letters
    ({"endpoint_url": "https://chroma.acme.test", "alb_dns_name": "chroma.acme.test.X"},
     ("https://chroma.acme.test.X", True, "chroma.acme.test")),
])
def test_gate_endpoint(outputs: dict[str, Any], want: tuple[str, bool, str | None]) -> None:
    assert gate_endpoint(outputs) == want
    assert gate_endpoint(outputs, "http://127.0.0.1:9") == ("http://127.0.0.1:9", True, None)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_env(tmp_path, "prod", protected=True)
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    monkeypatch.delenv("CHROMACTL_FAILOVER_ENDPOINT", raising=False)
    return tmp_path


def test_validate_reads_the_env_under_the_given_root_and_accepts_every_source(root: Path) -> None:
    for source in (None, "auto", "replica", "backup"):
        assert validate("prod", TARGET, source, None, root).name == "prod"
    assert validate("prod", TARGET, "backup", "arn:aws:backup:us-west-2:123456789012:recovery-point:x", root).name == "prod"
    assert validate("prod", TARGET, None, "arn:aws:backup:us-west-2:123456789012:recovery-point:x", root).name == "prod"
    with pytest.raises(UsageError, match="--recovery-point goes with --from backup"):
        validate("prod", TARGET, "replica", "arn:aws:backup:us-west-2:123456789012:recovery-point:x", root)
    with pytest.raises(UsageError, match="--from must be replica or backup"):
        validate("prod", TARGET, "snapshot", None, root)
    with pytest.raises(UsageError, match="primary region"):
        validate("prod", PRIMARY, None, None, root)


def test_a_dry_run_reads_the_journal_under_the_project_root(root: Path) -> None:
    path = journal_path(root, "prod", TARGET)
    assert path == root / ".chromactl" / "failover" / f"prod-{TARGET}.json"
    j = Journal(path=path, env="prod", target_region=TARGET, primary_region=PRIMARY, source="backup", inputs={})
    j.begin("preflight")
    j.finish("preflight", {"source": "backup"}, 1.0)
    j.save()
    plan = run_failover("prod", TARGET, output=Output(json=True), root=root, dry_run=True)
    assert plan.source == "backup" and plan.modelled_for == "backup" and plan.target_region == TARGET
    assert [s["status"] for s in plan.steps][:2] == ["done", "pending"]
    path.unlink()
    fresh = run_failover("prod", TARGET, output=Output(json=True), root=root, dry_run=True, source="replica")
    assert fresh.source == "replica" and all(s["status"] == "pending" for s in fresh.steps)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Asked(Output):
    def __init__(self, answer: bool) -> None:
        super().__init__(json=True)
        self.answer, self.asked = answer, []  # type: ignore[var-annotated]

    def confirm_text(self, prompt: str, expected: str) -> bool:  # type: ignore[override]
        self.asked.append((prompt, expected))
        return self.answer


def test_the_protected_env_prompt_names_env_and_region(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The failover's guard is the one don't-ask policy (lifecycle/guard.py): a protected env's name is
    needed (typed, or --confirm-env), --yes alone never; the prompt names the env and the target region."""
    env = validate("prod", TARGET, None, None, root)
    out = Asked(True)
    core._confirm_protected(env, TARGET, True, None, out)  # --yes: the name is still asked for
    ((prompt, expected),) = out.asked
    assert expected == "prod" and "prod is a protected env" in prompt and f"rebuilds the stack in {TARGET}" in prompt
    quiet = Asked(True)
    core._confirm_protected(env, TARGET, False, "prod", quiet)  # the name given: nothing asked
    assert quiet.asked == []
    with pytest.raises(UsageError, match="the env's name was not given"):  # no terminal to ask, no name
        core._confirm_protected(env, TARGET, True, None, Asked(False))