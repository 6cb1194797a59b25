"""Who may change what, without surprises: one "don't ask" policy for every verb.

Every verb that changes an env goes through `confirm_change` (the table below is
also in the README and pinned by tests/lifecycle/test_dont_ask_policy.py):

- `--yes` (`-y`; old name `--auto-approve`) skips y/N questions. That is all it
  does: it is never enough on its own for a change a protected env guards.
- A protected env (`protected = true`) additionally needs its name: typed at a
  terminal when asked, or passed as `--confirm-env NAME` (CI).
- No terminal and no `--confirm-env`: refused, exit 2, the message names the
  flag (nothing was changed; a saved plan is kept so it can be applied later).
  A `--confirm-env` naming another env: refused, exit 2.
- A question declined at a terminal (or a wrong name typed): "cancelled",
  exit 1, nothing changed.

| verb | protected env: name needed for | otherwise |
| --- | --- | --- |
| apply, up | a plan that deletes or replaces | y/N (skipped by --yes) |
| destroy | every destroy | y/N (skipped by --yes) |
| failover | every failover | no question |
| drill | every scenario | no question |
| token rotate | every rotation | no question |
| restore, upgrade | every run (file system replaced; image changed) | y/N (skipped by --yes) |
| destroy --delete-data (local) | - (local envs are not protected) | y/N (skipped by --yes) |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chromactl.config import EnvConfig
from chromactl.errors import UsageError
from chromactl.lifecycle.summary import PlanSummary
from chromactl.output import Output


@dataclass(frozen=True)
class Change:
    """What a verb is about to do to an env, in the words its prompts and refusals use."""

    where: str  # "prod/us-east-1"
    what: str  # completes "this ...": "plan deletes or replaces 3 resource(s)", "failover rebuilds the stack in us-west-2"
    guarded: bool = True  # on a protected env, does this change need the env's name?
    question: str | None = None  # the y/N question otherwise; None: nothing to ask
    refusal: str = ""  # the sentence when that question cannot be asked (no terminal, no --yes)
    details: Sequence[str] = ()  # lines shown above the name prompt (addresses, consequences)


def confirm_change(env: EnvConfig, output: Output, change: Change, *, yes: bool, confirm_env: str | None) -> None:
    """Return when the change may go ahead; raise UsageError (exit 2) or Cancelled (exit 1) otherwise."""
    if confirm_env is not None and confirm_env != env.name:
        raise UsageError(f"--confirm-env {confirm_env!r} does not match the env name {env.name!r}.",
                         f"Pass --confirm-env {env.name} to confirm. Nothing was changed.")
    if env.protected and change.guarded:
        if confirm_env == env.name:
            return
        from rich.markup import escape

        prompt = f"[bold red]{escape(env.name)} is a protected env and this {escape(change.what)} ({escape(change.where)})[/]"
        if change.details:
            prompt += ":\n" + "\n".join(escape(line) for line in change.details)
        if output.confirm_text(prompt, env.name):  # False: no terminal to ask; a wrong name raises Cancelled
            return
        raise UsageError(
            f"Refusing: this {change.what} in protected env {change.where}, and the env's name was not given.",
            f"Pass --confirm-env {env.name} (or run it at a terminal and type {env.name!r} when asked); "
            "--yes alone is not enough. Nothing was changed.",
        )
    if yes or change.question is None:
        return
    if output.confirm(change.question):  # False: no terminal; "no" raises Cancelled
        return
    raise UsageError(change.refusal or f"Not confirmed: {change.where} needs a yes and none was given.",
                     "Pass --yes to go ahead without asking (CI), or run it at a terminal. Nothing was changed.")


def check_apply(
    env: EnvConfig,
    region: str,
    summary: PlanSummary,
    output: Output,
    *,
    auto_approve: bool,
    allow_protected_changes: bool = False,
    confirm_env: str | None = None,
    destroy: bool = False,
) -> None:
    """apply/up/destroy: a protected env's deletes, replaces and destroys need the name; anything else a yes."""
    where = f"{env.name}/{region}"
    destructive = destroy or summary.destructive > 0
    addresses = summary.destructive_addresses() if destructive else []
    details = [f"  - {a}" for a in addresses[:20]]
    if len(addresses) > 20:
        details.append(f"  ... and {len(addresses) - 20} more")
    what = "plan destroys the stack" if destroy else f"plan deletes or replaces {summary.destructive} resource(s)"
    confirm_change(env, output, Change(
        where=where,
        what=what,
        guarded=destructive and not allow_protected_changes,
        question=f"Apply to {where} ({summary.line()})?",
        refusal=f"Not applied: {where} needs a yes to apply and none was given.",
        details=details,
    ), yes=auto_approve, confirm_env=confirm_env)
