"""`up` after a `destroy` within the secret's recovery window (issue 12, item 7).

A temp root holding the stack's secret (`aws_secretsmanager_secret`, fixed name)
is planned and applied by real Terraform with the offline provider; the Secrets
Manager side is moto's server, where the previous stack's secret is scheduled
for deletion. Checked against moto 5.2.5 here: DescribeSecret reports
`DeletedDate`, DeleteSecret with ForceDeleteWithoutRecovery removes a secret
already scheduled for deletion, RestoreSecret clears `DeletedDate`. (moto's
CreateSecret on such a name answers ResourceExistsException where AWS answers
InvalidRequestException "scheduled for deletion", which is one more reason to
detect it before the apply instead of parsing the apply's error.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import TOML, assert_clean_error, run_cli

harness = pytest.importorskip("tfoffline.harness")

NAME = "chromactl-sec/alb-token"
REGION = "us-east-1"

ROOT_TF = f"""\
terraform {{
  required_version = ">= 1.10"
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 6.0" }}
  }}
  backend "s3" {{
    use_lockfile = true
    encrypt      = true
  }}
}}

variable "region" {{
  type        = string
  description = "Region of the stack."
}}

variable "failover_region" {{
  type        = string
  description = "Unused here."
  default     = ""
}}

provider "aws" {{
  region = var.region
}}

resource "aws_secretsmanager_secret" "token" {{
  name                    = "{NAME}"
  recovery_window_in_days = 30
}}

output "token_secret_arn" {{
  value       = aws_secretsmanager_secret.token.arn
  description = "The token's secret."
}}
"""


@pytest.fixture
def sec_project(tmp_path: Path, aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "proj"
    (root / "terraform").mkdir(parents=True)
    d = root / "envs" / "sec"
    d.mkdir(parents=True)
    (d / "main.tf").write_text(ROOT_TF, encoding="utf-8")
    (d / "chromactl.toml").write_text(TOML.format(protected="false", name="sec"), encoding="utf-8")
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(harness.write_cli_config(tmp_path / "tfrc")))
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON", "CHROMACTL_TERRAFORM"):
        monkeypatch.delenv(var, raising=False)
    yield root


def _sm() -> Any:
    import boto3

    return boto3.client("secretsmanager", region_name=REGION)


def _destroyed_secret(kms_key: str | None = None) -> str:
    """The previous stack's secret, deleted with a recovery window (what `destroy` leaves behind)."""
    sm = _sm()
    kwargs = {"KmsKeyId": kms_key} if kms_key else {}
    arn = sm.create_secret(Name=NAME, **kwargs)["ARN"]
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=30)
    assert sm.describe_secret(SecretId=NAME).get("DeletedDate")  # moto reports the pending deletion like AWS
    return str(arn)


def _secrets_in_state(root: Path) -> list[str]:
    path = root / ".chromactl" / "state" / "sec" / REGION / "terraform.tfstate"
    if not path.exists():
        return []
    return [f"{r['type']}.{r['name']}" for r in json.loads(path.read_text()).get("resources", []) if r["type"] == "aws_secretsmanager_secret"]


def test_up_refuses_a_name_held_by_a_secret_scheduled_for_deletion(sec_project: Path) -> None:
    arn = _destroyed_secret()
    res = run_cli("up", "--env", "sec", "--auto-approve", "--skip-checks")
    assert_clean_error(res, 2, "scheduled for deletion", NAME, "--force-delete-secret", "--restore-secret")
    assert _secrets_in_state(sec_project) == []  # refused before the apply
    assert _sm().describe_secret(SecretId=arn).get("DeletedDate")  # and nothing was done to the old secret


def test_force_delete_secret_frees_the_name_then_applies(sec_project: Path) -> None:
    old = _destroyed_secret()
    res = run_cli("up", "--env", "sec", "--auto-approve", "--skip-checks", "--force-delete-secret", "--json")
    assert res.code == 0, res.err[-3000:]
    data = result_of(res.out)
    assert data["secrets"] == {"action": "force-delete", "secrets": [NAME]}
    assert data["second_plan"]["converged"] is True
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as info:
        _sm().describe_secret(SecretId=old)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert _secrets_in_state(sec_project) == ["aws_secretsmanager_secret.token"]


def test_without_a_pending_secret_the_flags_change_nothing(sec_project: Path) -> None:
    res = run_cli("up", "--env", "sec", "--auto-approve", "--skip-checks", "--force-delete-secret", "--json")
    assert res.code == 0, res.err[-3000:]
    assert result_of(res.out)["secrets"] is None


def test_the_two_flags_exclude_each_other(sec_project: Path) -> None:
    res = run_cli("up", "--env", "sec", "--force-delete-secret", "--restore-secret")
    assert_clean_error(res, 2, "exclude each other")


def test_restore_brings_back_the_secret_and_its_kms_key(aws_env: Any) -> None:
    import boto3
    from chromactl.aws.session import ClientFactory
    from chromactl.lifecycle import secrets as S

    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    arn = _destroyed_secret(kms_key=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=30)  # destroyed with the stack, like the secret
    pending = S.find_pending([S.PlannedSecret("module.stack.aws_secretsmanager_secret.token", NAME, REGION)], ClientFactory())
    assert [(p.arn, p.kms_key_id) for p in pending] == [(arn, key)]
    assert S.restore(pending, ClientFactory()) == [NAME]
    assert "DeletedDate" not in _sm().describe_secret(SecretId=NAME) or not _sm().describe_secret(SecretId=NAME)["DeletedDate"]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"  # cancelled (Disabled), then enabled


def test_up_with_restore_imports_the_secret(sec_project: Path) -> None:
    # The offline provider cannot import (it has no account to read from): the restore is done in moto,
    # then `terraform import` of the planned address is what fails, with Terraform's own reason.
    _destroyed_secret()
    res = run_cli("up", "--env", "sec", "--auto-approve", "--skip-checks", "--restore-secret")
    assert_clean_error(res, 1, "import", "Import is not supported by the offline test provider")
    assert not _sm().describe_secret(SecretId=NAME).get("DeletedDate")  # restored before the import


def test_apply_of_a_saved_plan_checks_too_and_keeps_the_plan_for_the_rerun(sec_project: Path) -> None:
    assert run_cli("plan", "--env", "sec").code == 0
    old = _destroyed_secret()
    res = run_cli("apply", "--env", "sec", "--auto-approve")
    assert_clean_error(res, 2, "scheduled for deletion", "chromactl apply --env sec --region us-east-1 --force-delete-secret",
                       "chromactl up --env sec --region us-east-1 --restore-secret")
    assert _secrets_in_state(sec_project) == [] and _sm().describe_secret(SecretId=old).get("DeletedDate")
    res = run_cli("apply", "--env", "sec", "--auto-approve", "--force-delete-secret")
    assert res.code == 0, res.err[-3000:]
    assert _secrets_in_state(sec_project) == ["aws_secretsmanager_secret.token"]


DR_REGION = "us-west-2"
FAILOVER_VARS_TF = """
variable "existing_file_system_id" {
  type        = string
  description = "The promoted file system (set by the failover)."
  default     = ""
}

variable "existing_root_directory" {
  type        = string
  description = "Its root directory (set by the failover)."
  default     = ""
}

variable "enable_cross_region_dr" {
  type        = string
  description = "Off in a rebuild (set by the failover)."
  default     = "true"
}

output "endpoint_url" {
  value       = "https://chroma.${var.region}.example.com"
  description = "The endpoint."
}
"""


def _failover_apply_step(root: Path, secret_action: str | None) -> Any:
    """The failover's apply step (the rebuild in the target region), as run_failover runs it."""
    from chromactl.config import load_env
    from chromactl.failover import aws as A
    from chromactl.failover.core import Run, Settings, _apply
    from chromactl.failover.journal import Journal
    from chromactl.failover.ports import Ports
    from chromactl.output import Output

    journal = Journal(path=root / "journal.json", env="sec", target_region=DR_REGION, primary_region=REGION, source="replica")
    journal.finish("preflight", {"primary": {}}, 0.1)
    journal.finish("promote", {"file_system_id": "fs-0123456789abcdef0", "root_directory": "/chroma"}, 0.1)
    run = Run(env=load_env("sec", root), target=DR_REGION, journal=journal, factory=None, ports=Ports(), clock=A.Clock(),
              settings=Settings(), output=Output(json=True), profile=None, recovery_point=None, restore_dir=None,
              accept_data_diff=False, **({"secret_action": secret_action} if secret_action else {}))
    return _apply(run)


def test_failover_rebuild_checks_for_a_secret_scheduled_for_deletion(sec_project: Path) -> None:
    """Issue 12 follow-up: the rebuild in the other region had no such check; its apply failed half-way."""
    import boto3
    from chromactl.errors import UsageError

    env_dir = sec_project / "envs" / "sec"
    (env_dir / "failover.tf").write_text(FAILOVER_VARS_TF, encoding="utf-8")
    sm = boto3.client("secretsmanager", region_name=DR_REGION)
    old = sm.create_secret(Name=NAME)["ARN"]  # a rebuild there was destroyed within the recovery window
    sm.delete_secret(SecretId=old, RecoveryWindowInDays=7)
    state = sec_project / ".chromactl" / "state" / "sec" / DR_REGION / "terraform.tfstate"

    with pytest.raises(UsageError) as refused:
        _failover_apply_step(sec_project, None)
    assert "scheduled for deletion" in refused.value.message and NAME in refused.value.message and DR_REGION in refused.value.message
    hint = refused.value.hint or ""
    assert f"chromactl failover --env sec --region {DR_REGION} --resume --force-delete-secret" in hint
    assert f"chromactl failover --env sec --region {DR_REGION} --resume --restore-secret" in hint
    assert not state.exists() or "aws_secretsmanager_secret" not in state.read_text()  # refused before the apply
    assert sm.describe_secret(SecretId=old).get("DeletedDate")  # nothing done to the old secret
    assert not (env_dir / ".chromactl" / "plans" / f"{DR_REGION}.tfplan").exists()  # the rerun plans anew

    res = _failover_apply_step(sec_project, "force-delete")
    assert res["outputs"]["endpoint_url"] == f"https://chroma.{DR_REGION}.example.com"
    assert "aws_secretsmanager_secret" in state.read_text()
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_secret(SecretId=old)


def test_failover_cli_takes_the_secret_flags(sec_project: Path) -> None:
    res = run_cli("failover", "--env", "sec", "--region", DR_REGION, "--force-delete-secret", "--restore-secret")
    assert_clean_error(res, 2, "exclude each other")


KEYED_MODULE_TF = f"""\
variable "region" {{
  type = string
}}

resource "aws_kms_key" "token" {{
  description             = "the token secret's key"
  deletion_window_in_days = 30
}}

resource "aws_kms_alias" "token" {{
  name          = "alias/chromactl-sec-token"
  target_key_id = aws_kms_key.token.key_id
}}

resource "aws_secretsmanager_secret" "token" {{
  name                    = "{NAME}"
  kms_key_id              = aws_kms_key.token.arn
  recovery_window_in_days = 30
}}

output "token_secret_arn" {{
  value = aws_secretsmanager_secret.token.arn
}}
"""

KEYED_ROOT_TF = ROOT_TF.split('resource "aws_secretsmanager_secret"')[0] + """\
module "stack" {
  source = "./stack"
  region = var.region
}

output "token_secret_arn" {
  value       = module.stack.token_secret_arn
  description = "The token's secret."
}
"""


def test_restore_secret_imports_its_kms_key_instead_of_orphaning_it(sec_project: Path) -> None:
    """Issue 12 follow-up b: --restore-secret brought the key back (CancelKeyDeletion, EnableKey) but imported only the
    secret, so the new plan created a second key and the old one stayed behind enabled, in no state. The stack's key
    (found from the secret's kms_key_id references, inside its module) is imported first, by its key id."""
    import boto3

    env_dir = sec_project / "envs" / "sec"
    (env_dir / "main.tf").write_text(KEYED_ROOT_TF, encoding="utf-8")
    (env_dir / "stack").mkdir()
    (env_dir / "stack" / "main.tf").write_text(KEYED_MODULE_TF, encoding="utf-8")
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]
    arn = _destroyed_secret(kms_key=key["Arn"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=30)  # destroyed with the stack, like the secret

    res = run_cli("--verbose", "up", "--env", "sec", "--auto-approve", "--skip-checks", "--restore-secret")
    # the offline provider cannot import (no account to read): the first import's command line is the evidence
    assert_clean_error(res, 1, "import")
    imports = [ln for ln in res.err.splitlines() if ln.startswith("$ ") and " import " in ln]
    assert imports and imports[0].endswith(f"module.stack.aws_kms_key.token {key['KeyId']}"), imports
    assert f"its KMS key {key['KeyId']}" in res.err
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"  # CancelKeyDeletion, EnableKey
    assert not _sm().describe_secret(SecretId=arn).get("DeletedDate")


def test_kms_key_imports_only_a_key_the_plan_creates() -> None:
    from chromactl.lifecycle import secrets as S

    pending = [S.PendingSecret("aws_secretsmanager_secret.token", NAME, REGION, "arn:x", None, "k-1")]
    plan = {"configuration": {"root_module": {"resources": [
        {"address": "aws_secretsmanager_secret.token",
         "expressions": {"kms_key_id": {"references": ["aws_kms_key.token.arn", "aws_kms_key.token"]}}}]}},
        "resource_changes": [{"address": "aws_kms_key.token", "change": {"actions": ["no-op"]}}]}

    class NoKms:
        def client(self, *_a: Any) -> Any:
            raise AssertionError("no KMS call for a key already in the state")

    assert S.kms_key_imports(plan, pending, NoKms()) == []
    plan["configuration"]["root_module"]["resources"][0]["expressions"]["kms_key_id"] = {"references": ["var.key_arn"]}
    plan["resource_changes"][0]["change"]["actions"] = ["create"]
    assert S.kms_key_imports(plan, pending, NoKms()) == []  # a key from outside the stack is not adopted
