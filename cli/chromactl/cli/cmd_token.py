"""`chromactl token rotate|age`: the API token checked at the ALB.

Thin layer over chromactl.rotation.token. Token values are never printed:
results carry version ids, dates and timings only.
"""

from __future__ import annotations

import typer

from chromactl.cli.context import (
    CONFIRM_ENV_OPT,
    ENV_OPT,
    JSON_OPT,
    REGION_OPT,
    YES_OPT,
    app_context,
)

SECRET_OPT = typer.Option(
    None,
    "--secret-id",
    help="The token secret's ARN or name (default: the stack's token_secret_arn output, else chromactl-<env>/alb-token).",
    envvar="CHROMACTL_TOKEN_SECRET_ID",
)


def _require_credentials(profile: str | None) -> None:
    """No credentials is a configuration error (exit 2), as for status/plan; rotation/token.py (frozen)
    would report it as a failed AWS call (exit 1)."""
    from chromactl.aws.preflight import require_credentials
    from chromactl.aws.session import ClientFactory

    require_credentials(ClientFactory(profile=profile))


def register(app: typer.Typer) -> None:
    token_app = typer.Typer(
        name="token",
        help="The API token the ALB checks: rotate it (zero downtime) and see its age.",
        no_args_is_help=True,
    )

    @token_app.command("rotate")
    def rotate(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the rotation to finish (1-3600)."),
        secret_id: str | None = SECRET_OPT,
        abandon_pending: bool = typer.Option(
            False, "--abandon-pending", help="Drop an unfinished earlier rotation's pending version first."
        ),
        yes: bool = YES_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Rotate the token now and wait until the new one is current and the old one refused.

        A protected env needs its name typed at the prompt or given as --confirm-env NAME (--yes alone is not enough).
        """
        from chromactl.config import load_env
        from chromactl.lifecycle.guard import Change, confirm_change
        from chromactl.rotation import token as tok

        actx = app_context(ctx, json_out)
        tok.check_timeout(timeout)
        cfg = load_env(env, actx.root)
        tok.require_aws(cfg)
        where = cfg.region_or_primary(region)
        confirm_change(cfg, actx.output, Change(
            where=f"{cfg.name}/{where}",
            what="rotation replaces the API token",
            details=("Clients still holding the old token are refused once it finishes (they re-read it from Secrets Manager).",),
        ), yes=yes, confirm_env=confirm_env)
        sid = tok.resolve_secret_id(cfg, secret_id, region=where, profile=actx.profile, on_info=actx.output.debug)
        _require_credentials(actx.profile)  # after the question (a declined rotation needs none), before the rotation
        actx.output.info(f"rotating the token of {cfg.name} in {where} (waiting up to {timeout:g} s)")
        with actx.output.status("rotating the token"), actx.output.keepalive(f"token rotate {cfg.name}"):
            result = tok.start_rotation_and_wait(
                sid,
                where,
                actx.profile,
                timeout=timeout,
                abandon_stuck=abandon_pending,
                on_progress=actx.output.info,
                log_group=tok.default_log_group(cfg.name),
            )
        data = {"env": cfg.name, "region": where, **result.to_dict()}

        def render(console) -> None:  # type: ignore[no-untyped-def]
            previous = result.previous_version_id or "none (first token)"
            console.print(
                f"token rotated for {cfg.name} ({where}) in {result.seconds:.1f} s: "
                f"version {previous} -> {result.version_id}"
            )

        actx.output.result(data, render)

    @token_app.command("age")
    def age(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        secret_id: str | None = SECRET_OPT,
        max_age_days: float | None = typer.Option(
            None, "--max-age-days", help="Exit 1 when the current token is older than this many days."
        ),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Days since the current token was created (its last rotation), and the rotation schedule."""
        from chromactl.config import load_env
        from chromactl.errors import OperationFailed, UsageError
        from chromactl.rotation import token as tok

        actx = app_context(ctx, json_out)
        if max_age_days is not None and max_age_days <= 0:
            raise UsageError("--max-age-days must be positive.", "Pass a number of days such as 90.")
        cfg = load_env(env, actx.root)
        tok.require_aws(cfg)
        _require_credentials(actx.profile)
        where = cfg.region_or_primary(region)
        sid = tok.resolve_secret_id(cfg, secret_id, region=where, profile=actx.profile, on_info=actx.output.debug)
        info = tok.token_age(sid, where, actx.profile)
        too_old = max_age_days is not None and info.age_days > max_age_days
        data = {"env": cfg.name, "region": where, **info.to_dict(), "max_age_days": max_age_days, "too_old": too_old}

        def render(console) -> None:  # type: ignore[no-untyped-def]
            nxt = info.next_rotation.isoformat() if info.next_rotation else "not scheduled"
            console.print(
                f"token of {cfg.name} ({where}): {info.age_days:.1f} days old "
                f"(version {info.version_id}, created {info.created.isoformat()}); "
                f"rotation {'enabled' if info.rotation_enabled else 'DISABLED'}, next {nxt}"
                + ("; a rotation is in progress" if info.rotation_in_progress else "")
            )

        actx.output.result(data, render)
        if too_old:
            raise OperationFailed(
                f"The token of {cfg.name} is {info.age_days:.1f} days old, over the {max_age_days:g}-day limit.",
                f"Rotate it: chromactl token rotate --env {cfg.name}.",
            )

    @token_app.command("check")
    def check(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Drift check of the token rules (not Terraform's, so `plan` cannot see them): exit 1 on drift."""
        from chromactl.aws.session import ClientFactory
        from chromactl.config import load_env
        from chromactl.errors import ConfigError, OperationFailed
        from chromactl.rotation import token as tok
        from chromactl.rotation.rules import check_rules
        from chromactl.stack.outputs import read_outputs

        actx = app_context(ctx, json_out)
        cfg = load_env(env, actx.root)
        tok.require_aws(cfg)
        _require_credentials(actx.profile)
        where = cfg.region_or_primary(region)
        outputs = read_outputs(cfg, where, profile=actx.profile)
        missing = [k for k in ("https_listener_arn", "target_group_arn", "token_secret_arn") if not outputs.get(k)]
        if missing:
            raise ConfigError(f"The outputs of {cfg.name}/{where} lack {', '.join(missing)}.", "Apply the stack first.")
        from botocore.exceptions import BotoCoreError, ClientError

        from chromactl.aws.session import describe_aws_error

        factory = ClientFactory(profile=actx.profile)
        try:
            report = check_rules(factory.client("elbv2", where), factory.client("secretsmanager", where),
                                 str(outputs["https_listener_arn"]), str(outputs["target_group_arn"]), str(outputs["token_secret_arn"]))
        except (ClientError, BotoCoreError) as exc:
            raise OperationFailed(
                f"Could not read the token rules of {cfg.name}/{where}: {describe_aws_error(exc)}.",
                "Use credentials allowed elasticloadbalancing:DescribeRules and secretsmanager:GetSecretValue.",
            ) from None
        data = {"env": cfg.name, "region": where, **report.to_dict()}

        def render(console) -> None:  # type: ignore[no-untyped-def]
            state = "in shape" if report.ok else "DRIFTED: " + "; ".join(report.problems)
            console.print(f"token rules of {cfg.name} ({where}): {state}")

        actx.output.result(data, render)
        if not report.ok:
            raise OperationFailed(
                f"The token rules of {cfg.name} have drifted: {report.problems[0]}.",
                "Wait for the scheduled maintenance (every few minutes), or run `chromactl token rotate`; "
                "never edit the rules by hand.",
            )

    app.add_typer(token_app, name="token")
