"""`chromactl init`: write an AWS env into the user's own infrastructure repository.

The env is what `envs/dev`, `envs/staging` and `envs/prod` are in this
repository, with the stack module called by a pinned, versioned source instead
of a relative path: `main.tf`, `variables.tf`, `outputs.tf`, `versions.tf` (the
shared env root, `envs/_root`, as this chromactl ships it), `terraform.tfvars`
(from the sandbox or production example, with the env's regions, account and
domain filled in and every value the user must still choose marked REPLACE) and
`chromactl.toml`. It never overwrites: an existing env folder is refused. The
written files are `terraform fmt`-clean (formatted with the engine chromactl
runs), so a repository's fmt pre-commit hook passes on the first commit.

`--sandbox` means small (2 AZs, one NAT gateway), unprotected (no deletion
protection, destroy removes the data) and allowed to *plan* while placeholders
remain (a warning). It is not a way past the placeholder guard: up/apply refuse
any placeholder, sandbox or not. A sandbox is appliable once the user gives
--account, --allowed-cidr and a --certificate-arn per region (or fills the
lines `doctor` lists); with no --domain clients use the ALB's DNS name, so any
ACM certificate in the region serves (an imported self-signed one will do).

Size: `init` validates a request (names, account, CIDR, certificates) and renders the env's files
from the bundled root; the validators and the renderers share the request type and its messages, and
are read together when a scaffolded env is wrong.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from chromactl import __version__, settings
from chromactl.aws.pull_through import cache_secret
from chromactl.errors import ConfigError, OperationFailed
from chromactl.lifecycle.placeholders import DOC_ACCOUNT_IDS
from chromactl.modules import stack_source
from chromactl.regions import check_region
from chromactl.resources import ENV_ROOT, EXAMPLE_TFVARS, bundled
from chromactl.terraform.engine import resolve
from chromactl.workflows.doctor import placeholders

ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
# The stack module's own rule for var.env (terraform/stack/variables.tf): a longer name would pass
# init and fail at the first plan.
_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,9}$")
# Names that mean something else in a repository of chromactl envs.
RESERVED_ENV_NAMES = {
    "envs": "the folder that holds the envs",
    "local": "the embedded env, which every project has built in (Chroma on this machine, no AWS)",
}
_ACCOUNT = re.compile(r"^\d{12}$")
_CERT_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):certificate/[A-Za-z0-9-]+$")
# RFC 5737's documentation ranges: no client ever comes from them.
_DOC_NETS = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
# A domain name as ACM and Route 53 take it: labels of letters, digits and dashes.
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# RFC 2606's example domains (and their subdomains), which the placeholder guard refuses too.
_RESERVED_DOMAIN = re.compile(r"(?:^|\.)example\.(?:com|net|org)$")
_LOCAL_SOURCE = re.compile(r'(?m)^(\s*source\s*=\s*)"\.\./\.\./terraform/stack"')

# The region a failover goes to when --failover-region is not given: the nearest
# region of the same partition and geography (a default to review, not a rule).
FAILOVER_PAIRS = {
    "us-east-1": "us-west-2", "us-east-2": "us-west-2", "us-west-1": "us-east-1", "us-west-2": "us-east-1",
    "ca-central-1": "ca-west-1", "ca-west-1": "ca-central-1",
    "eu-west-1": "eu-central-1", "eu-west-2": "eu-west-1", "eu-west-3": "eu-central-1",
    "eu-central-1": "eu-west-1", "eu-central-2": "eu-central-1", "eu-north-1": "eu-central-1",
    "eu-south-1": "eu-central-1", "eu-south-2": "eu-west-3",
    "ap-northeast-1": "ap-northeast-3", "ap-northeast-3": "ap-northeast-1", "ap-northeast-2": "ap-northeast-1",
    "ap-southeast-1": "ap-southeast-2", "ap-southeast-2": "ap-southeast-4", "ap-southeast-4": "ap-southeast-2",
    "ap-south-1": "ap-south-2", "ap-south-2": "ap-south-1", "sa-east-1": "us-east-1",
    "us-gov-west-1": "us-gov-east-1", "us-gov-east-1": "us-gov-west-1",
}

# What a repository that holds chromactl envs keeps out of git: Terraform's working
# directories, chromactl's plans, journals and local state, and the built Lambda zip (/build/ at the
# top only: a build/ folder elsewhere in the repository is the user's).
# The dependency lock file (.terraform.lock.hcl) is meant to be committed (HashiCorp:
# https://developer.hashicorp.com/terraform/language/files/dependency-lock).
GITIGNORE_ENTRIES = (".terraform/", ".chromactl/", "/build/", "*.tfplan", "*.tfstate", "*.tfstate.*", "chromactl_backend_override.tf")


@dataclass(frozen=True)
class InitRequest:
    env: str
    region: str
    failover_region: str | None = None
    account_id: str | None = None
    domain: str | None = None
    sandbox: bool = False
    module_repository: str | None = None
    allowed_cidrs: tuple[str, ...] = ()
    certificate_arns: tuple[str, ...] = ()


@dataclass
class InitResult:
    env: str
    project: Path
    env_dir: Path
    module_source: str
    failover_region: str
    sandbox: bool
    wrote: list[Path] = field(default_factory=list)
    gitignore_added: list[str] = field(default_factory=list)
    to_fill: list[str] = field(default_factory=list)
    to_create: list[str] = field(default_factory=list)  # what must exist in AWS before the first plan
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "env": self.env,
            "project": str(self.project),
            "env_dir": str(self.env_dir),
            "module_source": self.module_source,
            "chromactl_version": __version__,
            "failover_region": self.failover_region,
            "sandbox": self.sandbox,
            "wrote": [str(p.relative_to(self.project)) for p in self.wrote],
            "gitignore_added": self.gitignore_added,
            "to_fill": self.to_fill,
            "to_create": self.to_create,
            "warnings": self.warnings,
            "next": self.next_steps(),
        }

    def next_steps(self) -> list[str]:
        return [f"chromactl doctor --env {self.env}", f"chromactl bootstrap --env {self.env}", f"chromactl up --env {self.env}"]


def project_for_init(start: Path | None = None, root: Path | None = None) -> Path:
    """Where `init` writes: --root/CHROMACTL_ROOT, else the nearest folder above holding envs/, else the
    git repository's top level, else the current directory."""
    if root is not None:
        return Path(root).expanduser().resolve()
    env_root = settings.current().root
    if env_root:
        return Path(env_root).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "envs").is_dir():
            return candidate
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True, timeout=10, check=False
        )
        if top.returncode == 0 and top.stdout.strip():
            return Path(top.stdout.strip()).resolve()
    except (OSError, subprocess.SubprocessError):
        pass
    return here


def check_env_name(name: str) -> None:
    """Refuse a name the stack module would refuse, or one that collides with the repository's layout."""
    if name in RESERVED_ENV_NAMES:
        raise ConfigError(
            f"{name!r} cannot be an AWS env's name: it is {RESERVED_ENV_NAMES[name]}.",
            "Pick another --env name, for example prod or sandbox.",
        )
    if not _ENV_NAME.match(name or ""):
        raise ConfigError(
            f"{name!r} is not a name chromactl can give an AWS env.",
            "Use 1 to 10 lowercase letters, digits and dashes, starting with a letter (for example prod), "
            "as the stack module's env variable requires.",
        )


def check_account(account_id: str) -> None:
    if not _ACCOUNT.match(account_id):
        raise ConfigError(f"{account_id!r} is not an AWS account id.", "An account id is 12 digits (aws sts get-caller-identity).")
    if account_id in DOC_ACCOUNT_IDS:
        raise ConfigError(
            f"{account_id} is an account id from AWS's documentation examples, not an account you can deploy to.",
            "Give your own account id: `aws sts get-caller-identity --query Account --output text`.",
        )


def check_cidr(cidr: str) -> None:
    try:
        net = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        raise ConfigError(f"--allowed-cidr {cidr!r} is not an IPv4 network: {exc}.", "Give a CIDR such as 10.0.0.0/16 or 198.18.7.1/32.") from None
    if any(net.subnet_of(doc) for doc in _DOC_NETS):
        raise ConfigError(f"--allowed-cidr {cidr} is a documentation range (RFC 5737): no client comes from it.",
                          "Give your clients' networks (your office or VPN egress, a peered VPC).")


def check_certificates(req: InitRequest, failover: str) -> dict[str, str]:
    """The --certificate-arn values by region, each an ACM ARN of one of the env's regions (and its account)."""
    by_region: dict[str, str] = {}
    for arn in req.certificate_arns:
        m = _CERT_ARN.match(arn)
        if not m:
            raise ConfigError(f"--certificate-arn {arn!r} is not an ACM certificate ARN.",
                              "It looks like arn:aws:acm:REGION:ACCOUNT:certificate/ID (aws acm list-certificates --region REGION).")
        region, account = m.group("region"), m.group("account")
        if region not in (req.region, failover):
            raise ConfigError(f"--certificate-arn {arn} is in {region}, which is neither of the env's regions ({req.region}, {failover}).",
                              "An ALB takes a certificate from its own region: give one for each of the env's regions.")
        if region in by_region:
            raise ConfigError(f"Two --certificate-arn values for {region}.", "Give one certificate per region.")
        if account in DOC_ACCOUNT_IDS or "00000000-0000-0000-0000-000000000000" in arn:
            raise ConfigError(f"--certificate-arn {arn} is an example ARN, not a certificate.", "Give the ARN of your own ACM certificate.")
        if req.account_id is not None and account != req.account_id:
            raise ConfigError(f"--certificate-arn {arn} belongs to account {account}, not --account {req.account_id}.",
                              "The ALB can only use a certificate of its own account.")
        by_region[region] = arn
    return by_region


def check_request(req: InitRequest) -> str:
    """Refuse bad input before anything is written; return the failover region."""
    check_env_name(req.env)
    check_region(req.region)
    failover = req.failover_region or FAILOVER_PAIRS.get(req.region)
    if not failover:
        raise ConfigError(f"chromactl has no default failover region for {req.region}.", "Pass --failover-region REGION.")
    check_region(failover, where="--failover-region")
    if failover == req.region:
        raise ConfigError("The failover region is the primary region.", "A failover needs a second region: pass another --failover-region.")
    if req.account_id is not None:
        check_account(req.account_id)
    if req.domain is not None and not _DOMAIN.match(req.domain):
        raise ConfigError(f"{req.domain!r} is not a domain name.", "Give the name clients will use, for example chroma.<your own domain>.")
    if req.domain is not None and _RESERVED_DOMAIN.search(req.domain):
        raise ConfigError(f"--domain {req.domain} is a reserved example domain (RFC 2606): no certificate or client can use it.",
                          "Give a domain of yours, or leave --domain out to use the ALB's DNS name.")
    for cidr in req.allowed_cidrs:
        check_cidr(cidr)
    check_certificates(req, failover)
    return failover


def _root_file(name: str, source: str) -> str:
    text = (bundled(ENV_ROOT) / name).read_text(encoding="utf-8")
    if name != "main.tf":
        return text
    new, n = _LOCAL_SOURCE.subn(lambda m: f'{m.group(1)}"{source}"', text, count=1)
    if n != 1:
        raise OperationFailed(
            "The env root shipped with chromactl has no module \"stack\" source to pin.",
            "Reinstall chromactl; report it if it persists.",
        )
    header = (
        f"# Scaffolded by chromactl {__version__} (`chromactl init`). The stack module is pinned by ref:\n"
        "# to upgrade, install the newer chromactl, change ?ref= below and run `chromactl plan`.\n"
    )
    return header + new


def _set_value(text: str, key: str, value: str, comment: str = "") -> str:
    """Replace `key = ...` (a one-line assignment) in a tfvars text; append it when absent."""
    line = f"{key} = {value}" + (f" # {comment}" if comment else "")
    pattern = re.compile(rf"(?m)^{re.escape(key)}\s*=.*$")
    if pattern.search(text):
        return pattern.sub(lambda _m: line, text, count=1)
    return text.rstrip("\n") + "\n" + line + "\n"


def _set_block(text: str, key: str, body: str) -> str:
    """Replace a `key = { ... }` map assignment (closing brace alone on a line)."""
    pattern = re.compile(rf"(?ms)^{re.escape(key)}\s*=\s*\{{.*?^\}}")
    block = f"{key} = {{\n{body}}}"
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text, count=1)
    return text.rstrip("\n") + "\n" + block + "\n"


def _hcl(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def slo_targets(req: InitRequest) -> tuple[int, int, int, int]:
    """(p95 ms, p99 ms, RTO minutes, RPO minutes) of a new env: written to chromactl.toml [slo], and p95 and
    RPO also to terraform.tfvars (latency_p95_slo_ms, rpo_minutes: the alarms), from this one place, so
    that the two files agree (doctor holds them against each other: chromactl.config_facts)."""
    return (500, 1000, 60, 1440) if req.sandbox else (100, 250, 15, 15)


def render_tfvars(req: InitRequest, failover: str) -> str:
    flavour = "sandbox" if req.sandbox else "production"
    example = bundled(EXAMPLE_TFVARS[flavour]).read_text(encoding="utf-8")
    body = re.sub(r"\A(#[^\n]*\n)+", "", example).lstrip("\n")  # the example's own header describes the example
    account = req.account_id or "123456789012"
    account_note = "" if req.account_id else "REPLACE with your AWS account ID"
    nzones = 2 if req.sandbox else 3
    body = _set_value(body, "env", _hcl(req.env))
    body = _set_value(body, "account_id", _hcl(account), account_note)
    body = _set_value(body, "region", _hcl(req.region))
    body = _set_value(body, "failover_region", _hcl(failover))
    zones = "".join(
        f"  {_hcl(r)} = [{', '.join(_hcl(r + z) for z in 'abc'[:nzones])}]\n" for r in (req.region, failover)
    )
    body = _set_block(
        body, "azs_by_region",
        "  # Zone names as your account sees them (`chromactl doctor` checks them against it): list them with\n"
        "  # aws ec2 describe-availability-zones --region REGION --query 'AvailabilityZones[].ZoneName'\n" + zones,
    )
    given = check_certificates(req, failover)
    certs = "".join(
        f"  {_hcl(r)} = {_hcl(given[r])}\n" if r in given
        else f'  {_hcl(r)} = "arn:aws:acm:{r}:{account}:certificate/REPLACE-with-your-certificate-id"\n'
        for r in (req.region, failover)
    )
    covers = ("for domain_name" if req.domain or not req.sandbox
              else "(domain_name is empty: clients use the ALB's DNS name, so any certificate of the region serves)")
    certs_note = (f"  # ACM certificates {covers}, one per region the env may run in.\n" if len(given) == 2
                  else f"  # REPLACE with ACM certificates {covers}, one per region the env may run in.\n")
    body = _set_block(body, "certificate_arns", certs_note + certs)
    if req.allowed_cidrs:
        body = _set_value(body, "allowed_cidrs", "[" + ", ".join(_hcl(c) for c in req.allowed_cidrs) + "]",
                          "the clients' networks (--allowed-cidr)")
    if req.domain:
        body = _set_value(body, "domain_name", _hcl(req.domain), "the certificates above must cover it")
    p95_ms, _p99, _rto, rpo_minutes = slo_targets(req)
    body = _set_value(body, "latency_p95_slo_ms", str(p95_ms))
    body = _set_value(body, "rpo_minutes", str(rpo_minutes))
    header = (
        f"# {req.env}: scaffolded by chromactl {__version__} `init` from its {flavour} example "
        f"({'2 AZs, one NAT gateway, no deletion protection' if req.sandbox else '3 AZs, a NAT gateway per AZ, replication and backup copies, deletion protection'}).\n"
        "# Values marked REPLACE are placeholders: put your own before the first apply;\n"
        f"# `chromactl doctor --env {req.env}` lists the ones left.\n\n"
    )
    return header + body


def render_config(req: InitRequest, failover: str) -> str:
    account = req.account_id or "123456789012"
    bucket = f"chromactl-state-{req.env}-{req.account_id}" if req.account_id else f"chromactl-state-{req.env}-replace-me"
    bucket_note = "globally unique; change it if taken" if req.account_id else "REPLACE with a globally unique bucket name"
    slo = slo_targets(req)
    lines = [
        f"# What chromactl needs to know about the {req.env} env (scaffolded by chromactl {__version__} `init`).",
        "# Values marked REPLACE are placeholders.",
        "",
        "[env]",
        'kind = "aws"',
        f"protected = {'false' if req.sandbox else 'true'}",
    ]
    if req.sandbox:
        lines.append("sandbox = true # plan may run with placeholders (a warning); up/apply refuse them. Never for real data")
    lines += [
        f'account_id = "{account}"' + ("" if req.account_id else " # REPLACE with your AWS account ID (same as terraform.tfvars)"),
        "",
        "[regions]",
        f'primary = "{req.region}"',
        f'failover = ["{failover}"]',
        "",
        "[state]",
        "# Versioned, encrypted bucket outside the primary region (chromactl bootstrap creates it); it lives in",
        "# the failover region so that the state survives the primary's loss.",
        f'bucket = "{bucket}" # {bucket_note}',
        f'region = "{failover}"',
        'key_prefix = "chromactl"',
        "",
        "[slo]",
        f"p95_ms = {slo[0]}",
        f"p99_ms = {slo[1]}",
        f"rto_minutes = {slo[2]}",
        f"rpo_minutes = {slo[3]}",
        "",
        "[dns]",
        "# Route 53 alias record chromactl moves on failover (empty: no record, the endpoint is printed).",
        'zone_id = ""',
        'record_name = ""',
        "",
    ]
    return "\n".join(lines)


def _update_gitignore(project: Path) -> tuple[list[str], Path]:
    path = project / ".gitignore"
    existing = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    have = {ln.strip() for ln in existing}
    missing = [e for e in GITIGNORE_ENTRIES if e not in have]
    if missing:
        text = "\n".join(existing)
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if existing else "") + "# chromactl: Terraform working dirs, plans, journals, local state, built zip\n"
        text += "\n".join(missing) + "\n"
        path.write_text(text, encoding="utf-8")
    return missing, path


def init_env(req: InitRequest, project: Path) -> InitResult:
    """Write envs/<env>/ under project (refusing to overwrite) and the .gitignore entries."""
    failover = check_request(req)
    env_dir = project / "envs" / req.env
    if env_dir.exists():
        raise ConfigError(
            f"{env_dir} exists already; chromactl init never overwrites an env.",
            "Pick another --env name, or remove the folder yourself if it is really unused.",
        )
    source = stack_source(req.module_repository)
    files = {name: _root_file(name, source) for name in ROOT_FILES}
    files["terraform.tfvars"] = render_tfvars(req, failover)
    files["chromactl.toml"] = render_config(req, failover)
    result = InitResult(req.env, project, env_dir, source, failover, req.sandbox)
    try:
        env_dir.mkdir(parents=True)
        for name, text in files.items():
            path = env_dir / name
            path.write_text(text, encoding="utf-8")
            result.wrote.append(path)
        result.gitignore_added, gitignore = _update_gitignore(project)
        if result.gitignore_added:
            result.wrote.append(gitignore)
    except OSError as exc:
        raise OperationFailed(f"Cannot write the env under {project}: {exc.strerror or exc}.", "Check the folder is writable.") from None
    if (warning := format_env(env_dir)) is not None:
        result.warnings.append(warning)
    result.to_fill = placeholders(env_dir)
    result.to_create = prerequisites(env_dir, (req.region, failover))
    return result


def prerequisites(env_dir: Path, regions: tuple[str, ...]) -> list[str]:
    """What the env's first plan reads from AWS and the user creates: the pull-through cache's secret."""
    secret = cache_secret(env_dir)
    if secret is None:
        return []
    return [f"terraform.tfvars:{secret.line} Secrets Manager secret {secret.name} in {region} (image_pull_through_cache; "
            f"the plan reads it): {secret.create_command(region)}" for region in regions]


_FMT_TIMEOUT_S = 120


def format_env(env_dir: Path) -> str | None:
    """`terraform fmt` the env's .tf and .tfvars files with the engine chromactl runs; a warning if it could not.

    The texts are built by substitution into the shipped examples, so `=` alignment (which fmt
    enforces within a run of one-line attributes) is left to the formatter itself.
    """
    hint = f"run `terraform fmt {env_dir}` before committing"
    try:
        engine = resolve()
    except ConfigError as exc:
        return f"the files were not formatted ({exc.message}); {hint}"
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    env.setdefault("TF_CLI_CONFIG_FILE", os.devnull)
    try:
        proc = subprocess.run([*engine.argv, "fmt", "-list=false", str(env_dir)], capture_output=True, text=True,
                              timeout=_FMT_TIMEOUT_S, check=False, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the files were not formatted ({exc}); {hint}"
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[:1]
        return f"terraform fmt failed on the written files ({detail[0] if detail else f'exit {proc.returncode}'}); {hint}"
    return None
