"""The --json contract of `token rotate|age|check` (tests/unit/test_json_contract.py has the why): moto's Secrets
Manager and ELB, the real rotation handler played in-process (tests/rotation/test_cli_token.py's `cli` fixture)."""

from __future__ import annotations

import pytest

from tests.fixtures.json_contract import check_case
from tests.rotation import harness
from tests.rotation.test_cli_token import SecretsManagerPart, cli, run  # noqa: F401 - cli is a fixture

CASES = {"token rotate": "token rotate", "token age": "token age", "token check": "token check"}


def test_token_verbs(cli: SecretsManagerPart, rig: harness.Rotator, capsys: pytest.CaptureFixture[str],  # noqa: F811
                     monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, "--json", "token", "rotate", "--env", "dev", "--timeout", "60")
    assert code == 0, err
    cli.join()
    check_case("token rotate", "token rotate", out)
    code, out, err = run(capsys, "--json", "token", "age", "--env", "dev")
    assert code == 0, err
    check_case("token age", "token age", out)
    # token check reads three stack outputs; this project has no Terraform state, so they are the rig's (moto) ARNs
    from chromactl.stack import outputs

    arns = {"https_listener_arn": rig.stack.listener_arn, "target_group_arn": rig.stack.target_group_arn, "token_secret_arn": rig.secret_arn}
    monkeypatch.setattr(outputs, "read_outputs", lambda *a, **k: arns)
    code, out, err = run(capsys, "--json", "token", "check", "--env", "dev")
    assert code == 0, err
    check_case("token check", "token check", out)
