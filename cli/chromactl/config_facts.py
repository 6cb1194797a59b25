"""The facts an env states twice, in chromactl.toml and in terraform.tfvars, held against each other (issue 15).

chromactl reads chromactl.toml; Terraform reads terraform.tfvars (and chromactl.auto.tfvars.json, which
wins over it). Three facts live in both: the account (`[env] account_id`: the CLI's credential check;
`account_id`: the providers' `allowed_account_ids`), the regions (`[regions]`: what chromactl passes with
`-var region=` / `-var failover_region=`; `region` / `failover_region` in tfvars: what a plain
`terraform plan` uses, and `azs_by_region` / `certificate_arns`: what the root's validation needs for
every region the env may run in) and the SLOs (`[slo] p95_ms` / `rpo_minutes`: what `chromactl check`
and the drills judge against; `latency_p95_slo_ms` / `rpo_minutes`: what the alarms fire at). Each
file stays where its reader looks for it; `chromactl doctor` calls `facts_check` and reports any
disagreement as a failed line, so the two cannot drift apart silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chromactl.aws.zones import tfvars_text
from chromactl.config import EnvConfig
from chromactl.day2.tfvars import env_value

TFVARS = "terraform.tfvars"


@dataclass(frozen=True)
class Disagreement:
    fact: str  # what disagrees, in both files' words
    toml: str  # chromactl.toml's value
    tfvars: str  # terraform.tfvars' value (or what is missing there)

    def describe(self) -> str:
        return f"{self.fact}: chromactl.toml says {self.toml}, {TFVARS} {self.tfvars}"


def _tfvars_value(env: EnvConfig, name: str) -> str | None:
    # the one reader of the two files: chromactl.auto.tfvars.json first, then terraform.tfvars
    return env_value(env, name)


def _map_keys(text: str, name: str) -> set[str] | None:
    """The keys of a `name = { "key" = ... }` map in tfvars text; None when the map is not there."""
    block = re.search(rf'^\s*{re.escape(name)}\s*=\s*\{{(.*?)^\s*\}}', text, re.MULTILINE | re.DOTALL)
    if block is None:
        return None
    return set(re.findall(r'^\s*"([^"]+)"\s*=', block.group(1), re.MULTILINE))


def _same_number(a: float, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def disagreements(env: EnvConfig) -> list[Disagreement]:
    """Every fact the env's two files state differently (empty: they agree). A fact one file leaves
    unset is not compared (the other file's reader has its own default or its own check)."""
    out: list[Disagreement] = []
    account = _tfvars_value(env, "account_id")
    if env.account_id and account is not None and account != env.account_id:
        out.append(Disagreement("account", f"[env] account_id = {env.account_id}", f"account_id = {account}"))
    if env.primary_region:
        region = _tfvars_value(env, "region")
        if region is not None and region != env.primary_region:
            out.append(Disagreement("primary region", f"[regions] primary = {env.primary_region}", f"region = {region}"))
        failover = next((r for r in env.failover_regions if r != env.primary_region), None)
        tf_failover = _tfvars_value(env, "failover_region")
        if failover and tf_failover is not None and tf_failover != failover:
            out.append(Disagreement("failover region", f"[regions] failover starts with {failover}",
                                    f"failover_region = {tf_failover}"))
        text = tfvars_text(env.dir) or ""
        for name in ("azs_by_region", "certificate_arns"):
            keys = _map_keys(text, name)
            missing = [r for r in dict.fromkeys([env.primary_region, *env.failover_regions]) if keys is not None and r not in keys]
            if missing:
                out.append(Disagreement("regions", f"the env runs in {', '.join(missing)} ([regions])",
                                        f"{name} has no entry for {', '.join(missing)}"))
    for key, name in (("p95_ms", "latency_p95_slo_ms"), ("rpo_minutes", "rpo_minutes")):
        mine = getattr(env.slo, key)
        theirs = _tfvars_value(env, name)
        if mine is not None and theirs is not None and not _same_number(mine, theirs):
            out.append(Disagreement(f"SLO {key}", f"[slo] {key} = {mine:g}", f"{name} = {theirs}"))
    return out


def facts_check(env: EnvConfig) -> tuple[str, str, str]:
    """(status, detail, fix) of doctor's line for the env: ok, or fail with every disagreement and a hint."""
    found = disagreements(env)
    if not found:
        return "ok", f"account, regions and SLOs agree between chromactl.toml and {TFVARS}", ""
    fix = (f"Make {env.dir / TFVARS} and {env.config_path} say the same (chromactl reads the toml, Terraform "
           f"the tfvars: the alarms, the account guard and a plain `terraform plan` go by the tfvars).")
    return "fail", "; ".join(d.describe() for d in found), fix
