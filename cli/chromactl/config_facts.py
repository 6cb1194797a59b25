"""The facts an env states twice, in chromactl.toml and in its Terraform files, held against each other (issue 15).

chromactl reads chromactl.toml; Terraform reads the env's tfvars files (terraform.tfvars,
terraform.tfvars.json, *.auto.tfvars(.json): a later file wins) and falls back to the variable's default
in variables.tf; chromactl.lifecycle.tfvars_values finds the value Terraform will use and where it is set. Three
facts live in both: the account (`[env] account_id`: the CLI's credential check; `account_id`: the
providers' `allowed_account_ids`), the regions (`[regions]`: what chromactl passes with `-var region=` /
`-var failover_region=`, so the toml wins on chromactl's runs; `region` / `failover_region` in tfvars:
what a plain `terraform plan` uses, and `azs_by_region` / `certificate_arns`: what the root's validation
needs for every region the env may run in) and the SLOs (`[slo] p95_ms` / `rpo_minutes`: what
`chromactl check` and the drills judge against; `latency_p95_slo_ms` / `rpo_minutes`: what the alarms
fire at, Terraform's value winning). `chromactl doctor` calls `facts_check` and reports any
disagreement as a failed line naming the file and line of the value Terraform uses and which side wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from chromactl.config import EnvConfig
from chromactl.lifecycle.tfvars_values import Setting, setting

TFVARS = "terraform.tfvars"


@dataclass(frozen=True)
class Disagreement:
    fact: str  # what disagrees, in both files' words
    toml: str  # chromactl.toml's value
    tfvars: str  # Terraform's value (or what is missing there)
    where: Setting  # where Terraform's value is set
    toml_wins: bool = False  # True: chromactl passes the toml's value with -var (the regions)

    def describe(self) -> str:
        source = f"{self.where.path.name} default" if self.where.default else self.where.path.name
        return f"{self.fact}: chromactl.toml says {self.toml}, {source} {self.tfvars}"

    def winner(self, toml_path: str) -> str:
        at = f"the default in {self.where.where} (no tfvars file sets it)" if self.where.default else self.where.where
        if self.toml_wins:
            return (f"{self.fact}: chromactl passes {toml_path}'s value with -var, so it wins on chromactl's runs; "
                    f"a plain `terraform plan` uses {at}")
        return f"{self.fact}: Terraform uses {at} (it wins on every plan and apply); chromactl's checks go by {toml_path}"


def _same_number(a: float, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def disagreements(env: EnvConfig) -> list[Disagreement]:
    """Every fact chromactl.toml states differently from the value Terraform will use (empty: they agree).
    A fact the toml leaves unset, or that neither a tfvars file nor a default sets, is not compared."""
    out: list[Disagreement] = []
    account = setting(env.dir, "account_id")
    if env.account_id and account is not None and account.value is not None and account.value != env.account_id:
        out.append(Disagreement("account", f"[env] account_id = {env.account_id}", f"account_id = {account.value}", account))
    if env.primary_region:
        region = setting(env.dir, "region")
        if region is not None and region.value is not None and region.value != env.primary_region:
            out.append(Disagreement("primary region", f"[regions] primary = {env.primary_region}", f"region = {region.value}",
                                    region, toml_wins=True))
        failover = next((r for r in env.failover_regions if r != env.primary_region), None)
        tf_failover = setting(env.dir, "failover_region")
        if failover and tf_failover is not None and tf_failover.value is not None and tf_failover.value != failover:
            out.append(Disagreement("failover region", f"[regions] failover starts with {failover}",
                                    f"failover_region = {tf_failover.value}", tf_failover, toml_wins=True))
        for name in ("azs_by_region", "certificate_arns"):
            found = setting(env.dir, name)
            if found is None or found.keys is None:
                continue
            missing = [r for r in dict.fromkeys([env.primary_region, *env.failover_regions]) if r not in found.keys]
            if missing:
                out.append(Disagreement("regions", f"the env runs in {', '.join(missing)} ([regions])",
                                        f"{name} has no entry for {', '.join(missing)}", found))
    for key, name in (("p95_ms", "latency_p95_slo_ms"), ("rpo_minutes", "rpo_minutes")):
        mine = getattr(env.slo, key)
        theirs = setting(env.dir, name)
        if mine is not None and theirs is not None and theirs.value is not None and not _same_number(mine, theirs.value):
            out.append(Disagreement(f"SLO {key}", f"[slo] {key} = {mine:g}", f"{name} = {theirs.value}", theirs))
    return out


def facts_check(env: EnvConfig) -> tuple[str, str, str]:
    """(status, detail, fix) of doctor's line for the env: ok, or fail with every disagreement and a hint
    naming, per disagreement, the file and line of Terraform's value and which side wins."""
    found = disagreements(env)
    if not found:
        return "ok", "account, regions and SLOs agree between chromactl.toml and the tfvars Terraform reads", ""
    files = list(dict.fromkeys(str(d.where.path) for d in found))
    fix = (f"Make {' and '.join(files)} and {env.config_path} say the same (a value only in variables.tf is its "
           f"default: set it in {env.dir / TFVARS}). " + "; ".join(d.winner(str(env.config_path)) for d in found) + ".")
    return "fail", "; ".join(d.describe() for d in found), fix
