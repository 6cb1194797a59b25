"""Secrets a plan creates whose name is still held by a secret scheduled for deletion.

`destroy` deletes the token secret with a recovery window
(`recovery_window_in_days`, 30 in prod): for that long the name stays taken,
and CreateSecret with it fails with InvalidRequestException ("The secret is
scheduled for deletion", botocore secretsmanager 2017-10-17 service-2.json,
shape InvalidRequestException). So `up` after a `destroy` of the same env and
region fails half-way through the apply. Before applying, this module looks
the planned names up (DescribeSecret: `DeletedDate` is set while a secret is
scheduled for deletion, DescribeSecretResponse.DeletedDate) and, only on an
explicit flag:

- force-delete: DeleteSecret with ForceDeleteWithoutRecovery (allowed on a
  secret already scheduled for deletion; the deletion is asynchronous, "use
  appropriate back off and retry logic" before creating the same name:
  DeleteSecretRequest.ForceDeleteWithoutRecovery), then a bounded wait until
  DescribeSecret says ResourceNotFoundException. The old token is lost; the
  stack's first rotation makes a new one.
- restore: RestoreSecret (RestoreSecret: removes DeletedDate, and says nothing
  of the KMS key), and when the secret's KMS key was scheduled for deletion with
  the stack, CancelKeyDeletion and EnableKey (a cancelled key is left Disabled:
  KMS CancelKeyDeletion, botocore kms 2014-11-01 service-2.json), so the secret
  can be read; the caller imports the secret AND that key into the state and
  plans again (`kms_key_imports`). Importing only the secret left the key
  orphaned: the new plan created a new key, UpdateSecret re-encrypted the
  labelled versions under it (UpdateSecretRequest.KmsKeyId), and the old key,
  enabled again and in no state, stayed behind billed and unmanaged. With the
  key imported (`terraform import aws_kms_key.x <key id>`, the provider's
  documented import id: website/docs/r/kms_key.html.markdown) the stack keeps
  the key the secret is encrypted with; its alias, deleted by the destroy, is
  created again pointing at it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chromactl.aws.session import describe_aws_error, error_code
from chromactl.errors import OperationFailed, UsageError
from chromactl.poll import Clock, poll_until

SECRET_TYPE = "aws_secretsmanager_secret"
FORCE_DELETE = "force-delete"
RESTORE = "restore"
GONE_TIMEOUT_S = 120.0
GONE_POLL_S = 2.0


@dataclass(frozen=True)
class PlannedSecret:
    address: str
    name: str
    region: str


@dataclass(frozen=True)
class PendingSecret:
    address: str
    name: str
    region: str
    arn: str
    deleted_date: datetime | None
    kms_key_id: str | None

    def line(self) -> str:
        when = f"scheduled for deletion on {self.deleted_date:%Y-%m-%d %H:%M} UTC" if self.deleted_date else "scheduled for deletion"
        return f"{self.name} in {self.region} ({when}; planned as {self.address})"


def planned_secret_creates(plan_json: dict[str, Any], default_region: str) -> list[PlannedSecret]:
    """The secrets a plan (`terraform show -json`) creates, by address, name and region."""
    found: list[PlannedSecret] = []
    for rc in plan_json.get("resource_changes") or []:
        if rc.get("type") != SECRET_TYPE or rc.get("mode", "managed") != "managed":
            continue
        change = rc.get("change") or {}
        if "create" not in (change.get("actions") or []):
            continue
        after = change.get("after") or {}
        name = after.get("name")
        if not isinstance(name, str) or not name:
            continue  # name_prefix or unknown at plan: no fixed name to collide with
        region = after.get("region") if isinstance(after.get("region"), str) and after.get("region") else default_region
        found.append(PlannedSecret(str(rc.get("address", "?")), name, str(region)))
    return found


def find_pending(planned: list[PlannedSecret], factory: Any) -> list[PendingSecret]:
    """Those of the planned secrets whose name a secret scheduled for deletion still holds."""
    pending: list[PendingSecret] = []
    for p in planned:
        sm = factory.client("secretsmanager", p.region)
        try:
            desc = sm.describe_secret(SecretId=p.name)
        except Exception as exc:  # re-raised unless it says the name is free
            if error_code(exc) == "ResourceNotFoundException":
                continue
            raise
        if desc.get("DeletedDate"):
            pending.append(PendingSecret(p.address, p.name, p.region, str(desc.get("ARN") or p.name), desc.get("DeletedDate"),
                                         desc.get("KmsKeyId") or None))
    return pending


def refusal(pending: list[PendingSecret], env_name: str, region: str, *, verb: str = "up") -> UsageError:
    names = "; ".join(p.line() for p in pending)
    command = f"chromactl {verb} --env {env_name} --region {region}" + (" --resume" if verb == "failover" else "")
    restore = (f"`chromactl up --env {env_name} --region {region} --restore-secret` to bring it back into the stack (a new plan)"
               if verb == "apply" else f"`{command} --restore-secret` to bring it back into the stack")
    return UsageError(
        f"Creating the token secret would fail: its name is held by a secret scheduled for deletion (destroyed within its recovery window): {names}.",
        f"Run `{command} --force-delete-secret` to delete it for good "
        f"(its old token is lost; the first rotation makes a new one), or {restore}.",
    )


def force_delete(pending: list[PendingSecret], factory: Any, *, timeout_s: float = GONE_TIMEOUT_S, poll_s: float = GONE_POLL_S,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic) -> list[str]:
    """Delete each secret without recovery and wait (bounded) until its name is free."""
    done: list[str] = []
    for p in pending:
        sm = factory.client("secretsmanager", p.region)
        try:
            sm.delete_secret(SecretId=p.arn, ForceDeleteWithoutRecovery=True)
        except Exception as exc:  # noqa: BLE001 - boto errors become one sentence (or re-raised)
            raise OperationFailed(f"Secrets Manager refused to force-delete {p.name} in {p.region}: {_phrase(exc)}.",
                                  "Check secretsmanager:DeleteSecret on it, or wait until its recovery window ends.") from None
        _wait_gone(sm, p, timeout_s=timeout_s, poll_s=poll_s, clock=Clock(monotonic=monotonic, sleep=sleep))
        done.append(p.name)
    return done


def _wait_gone(sm: Any, p: PendingSecret, *, timeout_s: float, poll_s: float, clock: Clock) -> None:
    """Until DescribeSecret says the name is free (ResourceNotFoundException), at most timeout_s."""

    def gone() -> tuple[bool, None]:
        try:
            sm.describe_secret(SecretId=p.name)
        except Exception as exc:  # noqa: BLE001 - boto errors become one sentence (or re-raised)
            if error_code(exc) == "ResourceNotFoundException":
                return True, None
            raise OperationFailed(f"Cannot tell whether {p.name} in {p.region} is gone: {_phrase(exc)}.", "Run again in a minute.") from None
        return False, None

    poll_until(gone, timeout_s=timeout_s, interval_s=poll_s, clock=clock, on_timeout=lambda _: OperationFailed(
        f"{p.name} in {p.region} was force-deleted but still exists after {timeout_s:.0f} s.",
        "Secrets Manager deletes in the background; run the same command again in a minute."))


def restore(pending: list[PendingSecret], factory: Any) -> list[str]:
    """RestoreSecret each one; re-enable its KMS key when that was scheduled for deletion too."""
    done: list[str] = []
    for p in pending:
        if p.kms_key_id:
            kms = factory.client("kms", p.region)
            try:
                meta = kms.describe_key(KeyId=p.kms_key_id)["KeyMetadata"]
                # the key id DescribeKey resolved (the secret may name the key by ARN; moto 5.2.5's
                # CancelKeyDeletion/EnableKey accept only the id, AWS takes either)
                key_id = meta.get("KeyId") or p.kms_key_id
                if meta.get("KeyState") == "PendingDeletion":
                    kms.cancel_key_deletion(KeyId=key_id)
                    kms.enable_key(KeyId=key_id)
                elif meta.get("KeyState") not in ("Enabled", "Disabled"):
                    raise OperationFailed(f"The KMS key of {p.name} is {meta.get('KeyState')}: the restored secret could not be read.",
                                          "Use --force-delete-secret instead (the first rotation makes a new token).")
                elif meta.get("KeyState") == "Disabled":
                    kms.enable_key(KeyId=key_id)
            except OperationFailed:
                raise
            except Exception as exc:  # noqa: BLE001 - boto errors become one sentence (or re-raised)
                raise OperationFailed(f"Cannot bring back the KMS key of {p.name} ({p.kms_key_id}): {_phrase(exc)}.",
                                      "Use --force-delete-secret instead (the first rotation makes a new token).") from None
        try:
            factory.client("secretsmanager", p.region).restore_secret(SecretId=p.arn)
        except Exception as exc:  # noqa: BLE001 - boto errors become one sentence (or re-raised)
            raise OperationFailed(f"Secrets Manager refused to restore {p.name} in {p.region}: {_phrase(exc)}.",
                                  "Check secretsmanager:RestoreSecret on it, or use --force-delete-secret.") from None
        done.append(p.name)
    return done


KMS_KEY_TYPE = "aws_kms_key"


def _module_config(plan_json: dict[str, Any], module_path: list[str]) -> dict[str, Any]:
    """The configuration block (`terraform show -json` "configuration") of a module path like ["stack"]."""
    mod: dict[str, Any] = (plan_json.get("configuration") or {}).get("root_module") or {}
    for name in module_path:
        mod = ((mod.get("module_calls") or {}).get(name.split("[", 1)[0]) or {}).get("module") or {}
    return mod


def kms_key_imports(plan_json: dict[str, Any], pending: list[PendingSecret], factory: Any) -> list[tuple[str, str]]:
    """(planned key address, key id) for each restored secret whose KMS key the plan would create anew.

    The key is found from the secret's own configuration: its `kms_key_id` expression's
    references (`aws_kms_key.token.arn`, `aws_kms_key.token`), in the module the secret is in.
    Only a key the plan creates is returned (one already in the state needs nothing).
    """
    creates = {rc.get("address"): rc for rc in plan_json.get("resource_changes") or []
               if "create" in ((rc.get("change") or {}).get("actions") or [])}
    found: list[tuple[str, str]] = []
    for p in pending:
        if not p.kms_key_id or f"{SECRET_TYPE}." not in p.address:
            continue
        prefix, _, local = p.address.rpartition(f"{SECRET_TYPE}.")
        module_path = [part for i, part in enumerate(prefix.rstrip(".").split(".")) if i % 2 == 1] if prefix else []
        config = next((r for r in _module_config(plan_json, module_path).get("resources") or []
                       if r.get("address") == f"{SECRET_TYPE}.{local.split('[', 1)[0]}"), None)
        refs = ((config or {}).get("expressions") or {}).get("kms_key_id", {}).get("references") or []
        keys = [r for r in refs if r.startswith(f"{KMS_KEY_TYPE}.") and r.count(".") == 1]
        if not keys:
            continue  # a key given from outside (a variable, a data source): not the stack's to import
        address = prefix + keys[0]
        matches = [a for a in creates if a == address or (isinstance(a, str) and a.startswith(address + "["))]
        if len(matches) != 1:
            continue
        try:
            key_id = factory.client("kms", p.region).describe_key(KeyId=p.kms_key_id)["KeyMetadata"]["KeyId"]
        except Exception as exc:  # noqa: BLE001 - boto errors become one sentence
            raise OperationFailed(f"Cannot read the KMS key of {p.name} ({p.kms_key_id}): {_phrase(exc)}.",
                                  "Check kms:DescribeKey on it, or use --force-delete-secret.") from None
        found.append((str(matches[0]), str(key_id)))
    return found


def _phrase(exc: BaseException) -> str:
    return describe_aws_error(exc)
