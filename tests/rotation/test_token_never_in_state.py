"""Issue 14, proof (a): no token value in the Terraform state or in any saved plan, after
apply, a rotation, a refresh and a plan again.

Real Terraform applies envs/dev into a local state with the offline provider. A rotation then
does remotely what the rotation function does on AWS: every listener rule in the state whose
condition is the Authorization or X-Chroma-Token header gets the token in its values and a
forward action. The offline provider has no remote API of its own, so the state's JSON is edited
the way the next refresh would rewrite it (its ReadResource answers with what the state holds).
Then: plan to a file, `apply -refresh-only`, plan again; the state file, every plan file (raw
bytes and `show -json`) and the outputs are searched for the token.

Before issue 14 the auth rules were Terraform resources with `ignore_changes`: the refresh wrote
`Bearer <token>` into the state and every plan's prior state (hashicorp/terraform #20349,
#15477). Now the rotation function owns those rules and Terraform never holds one.
"""

from __future__ import annotations

import json
import secrets
import string
import zipfile
from pathlib import Path
from typing import Any

from tests.stack._tfplan import ensure_rotation_zip

AUTH_HEADERS = {"authorization", "x-chroma-token"}


def _token() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64))


def _is_auth_rule(attrs: dict[str, Any]) -> bool:
    for cond in attrs.get("condition") or []:
        for hh in cond.get("http_header") or []:
            if str(hh.get("http_header_name", "")).lower() in AUTH_HEADERS:
                return True
    return False


def rotate_remotely(state_path: Path, token: str, target_group_arn: str) -> int:
    """What ModifyRule by the rotation function leaves behind, as the next refresh reads it into
    the state: the token in the auth rules' header values and a forward action. Returns how many
    resources held such a rule (0 when Terraform owns none)."""
    state = json.loads(state_path.read_text())
    edited = 0
    for res in state.get("resources", []):
        if res.get("type") != "aws_lb_listener_rule":
            continue
        for inst in res.get("instances", []):
            attrs = inst.get("attributes") or {}
            if not _is_auth_rule(attrs):
                continue
            for cond in attrs["condition"]:
                for hh in cond.get("http_header") or []:
                    name = str(hh.get("http_header_name", "")).lower()
                    hh["values"] = [f"Bearer {token}"] if name == "authorization" else [token]
            for action in attrs.get("action") or []:
                action["type"] = "forward"
                action["target_group_arn"] = target_group_arn
                action["fixed_response"] = []
            edited += 1
    state["serial"] = int(state.get("serial", 0)) + 1
    state_path.write_text(json.dumps(state, indent=2))
    return edited


def _plan_file_text(path: Path) -> str:
    """Every member of a saved plan (a zip: tfplan, tfstate, tfstate-prev, config), as text."""
    with zipfile.ZipFile(path) as zf:
        return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def _leaks(text: str, token: str) -> bool:
    return token in text or token.upper() in text


def test_no_token_in_state_or_plans_after_apply_rotate_refresh_plan(tf_offline: Any) -> None:
    ensure_rotation_zip()
    root = tf_offline.copy("envs/dev")
    tf_offline.apply(root)
    state_path = root / "terraform.tfstate"
    assert state_path.is_file()
    applied = tf_offline.state(root)
    tg_arn = applied["values"]["outputs"]["target_group_arn"]["value"]

    first, second = _token(), _token()
    texts: dict[str, str] = {}
    edited = []
    for n, token in enumerate((first, second)):
        edited.append(rotate_remotely(state_path, token, tg_arn))
        plan_path = root / f"after-rotation-{n}.tfplan"
        tf_offline.run(root, "plan", "-input=false", "-no-color", "-lock=false", f"-out={plan_path.name}").check_returncode()
        texts[f"plan {n} (file)"] = _plan_file_text(plan_path)
        texts[f"plan {n} (json)"] = tf_offline.run(root, "show", "-json", "-no-color", plan_path.name).stdout
        tf_offline.run(root, "apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color", "-lock=false").check_returncode()
        again = root / f"again-{n}.tfplan"
        tf_offline.run(root, "plan", "-input=false", "-no-color", "-lock=false", "-detailed-exitcode", f"-out={again.name}")
        texts[f"plan again {n} (file)"] = _plan_file_text(again)
        texts[f"state after refresh {n}"] = state_path.read_text()
        texts[f"outputs {n}"] = tf_offline.run(root, "output", "-json", "-no-color").stdout
    for what, text in texts.items():
        for token in (first, second):
            assert not _leaks(text, token), f"a token value is in the {what}"
    assert edited == [0, 0], f"Terraform holds {edited} auth rule(s): a rotation would write the token into its state"
    # The env is closed until the first rotation: the listener's default is the 401, and the
    # only rule Terraform holds forwards GET /api/v2/heartbeat (no data, no token).
    listener_rules = [r for r in _all_resources(applied) if r["type"] == "aws_lb_listener_rule"]
    assert [r["name"] for r in listener_rules] == ["heartbeat"], [r["address"] for r in listener_rules]

    backups = list(root.glob("terraform.tfstate*"))
    for backup in backups:
        assert not any(_leaks(backup.read_text(), t) for t in (first, second)), backup.name


def _all_resources(state: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(module: dict[str, Any]) -> None:
        out.extend(module.get("resources", []))
        for child in module.get("child_modules", []):
            walk(child)

    walk(state["values"]["root_module"])
    return out
