"""Resolving what a check talks to, and the one "dial this ALB, present the endpoint's name" helper.

`resolve_target` turns the CLI's choices into a checks Target (chromactl/checks/target.py):
  --endpoint URL [--token-env VAR]  the URL as given; the token from the env variable named VAR;
  --env local                       the local server (chromactl.local.server.local_endpoint), no token;
  --env <aws env> [--region R]      the endpoint from the stack's outputs (`endpoint_url`), the token
                                    from Secrets Manager (`token_secret_arn`), current version.
A caller that has read the outputs this run already (`up`) passes them, so Terraform runs once.

It sits in workflows/, not stack/: it needs the local server (local/) and the token reader
(rotation/), which both sit above stack/ (tools/layers/contract.py, docs/DESIGN.md).
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chromactl.checks.target import DEFAULT_TIMEOUT_S, Target, token_from_env_var
from chromactl.config import EnvConfig, load_env
from chromactl.errors import ConfigError, UsageError
from chromactl.local.server import local_endpoint
from chromactl.output import Output
from chromactl.rotation.token import read_current_token
from chromactl.stack import outputs as stack_outputs


def resolve_target(
    env_name: str | None,
    endpoint: str | None,
    token_env: str | None,
    region: str | None,
    profile: str | None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    verify_tls: bool = True,
    token_header: str = "authorization",
    root: Path | None = None,
    outputs: Mapping[str, Any] | None = None,
    output: Output | None = None,
    env: EnvConfig | None = None,
) -> Target:
    """The Target for --env or --endpoint (exactly one of them); `outputs`: the stack's outputs when
    the caller has them already (else `terraform output` runs, once, with `output` for --verbose);
    `env`: the env when the caller has loaded it already (its chromactl.toml is not read again)."""
    if env is not None:
        env_name = env_name or env.name
    if bool(env_name) == bool(endpoint):
        raise UsageError("Pass exactly one of --env and --endpoint.", "e.g. chromactl smoke --env local, or --endpoint http://127.0.0.1:8000.")
    common: dict[str, Any] = {"timeout_s": timeout_s, "verify_tls": verify_tls, "token_header": token_header}
    if endpoint:
        return Target(url=endpoint.rstrip("/"), token=token_from_env_var(token_env), region=region, **common)

    if env is None or env.name != env_name:
        env = load_env(env_name or "", root)
    if not env.is_aws:
        return Target(url=local_endpoint(env), token=token_from_env_var(token_env), env=env.name, region=region or "local", **common)

    the_region = env.region_or_primary(region)
    if outputs is None:
        outputs = stack_outputs.read_outputs(env, the_region, output=output, profile=profile)
    url = outputs.get("endpoint_url")
    if not url:
        raise ConfigError(
            f"Env {env.name!r} in {the_region} has no endpoint_url output (is it applied?).",
            f"Run chromactl up --env {env.name} --region {the_region}, or pass --endpoint.",
        )
    if outputs.get("endpoint_tls_verifiable") is False:
        # endpoint_url is the ALB's own DNS name (no domain_name): no certificate covers it.
        common["verify_tls"] = False
    token: str | None = None
    if token_env:
        token = token_from_env_var(token_env)
    else:
        arn = outputs.get("token_secret_arn")
        if not arn:
            raise ConfigError(f"Env {env.name!r} has no token_secret_arn output.", "Pass --token-env VAR with the token.")
        token = read_current_token(arn, the_region, profile)
    return Target(url=str(url).rstrip("/"), token=token, env=env.name, region=the_region, **common)


def at_alb(target: Target, alb_dns_name: str | None) -> Target:
    """The target dialled at this stack's ALB, presenting the endpoint's name.

    `up` checks the stack it just applied. The endpoint's name (domain_name) may not point at
    this ALB yet (first apply without a Route 53 zone; DNS is the operator's step), so the checks
    dial the ALB's own DNS name and present the endpoint's name in TLS (verified) and as Host.
    """
    host = urllib.parse.urlsplit(target.url).hostname
    alb = (alb_dns_name or "").rstrip(".")
    if alb and host and host != alb:
        return dataclasses.replace(target, url=f"https://{alb}", server_name=host if target.verify_tls else None)
    return target


def stack_target(env_name: str, region: str | None, profile: str | None, alb_dns_name: str | None, *,
                 outputs: Mapping[str, Any] | None = None, output: Output | None = None, root: Path | None = None,
                 env: EnvConfig | None = None) -> Target:
    """The env's check target, dialled at this stack's ALB (at_alb); `root`: the project the env is in;
    `env`: the env, when the caller has loaded it."""
    target = resolve_target(env_name, None, None, region, profile, outputs=outputs, output=output, root=root, env=env)
    return at_alb(target, alb_dns_name)
