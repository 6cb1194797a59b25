"""`chromactl init`: scaffold an AWS env into the current repository."""

from __future__ import annotations

import typer

from chromactl.cli.context import JSON_OPT, app_context


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        ctx: typer.Context,
        env: str = typer.Option(..., "--env", "-e", help="Name of the new env (a folder envs/<env>/).", envvar="CHROMACTL_ENV"),
        region: str = typer.Option(..., "--region", "-r", help="Its primary AWS region.", envvar="CHROMACTL_REGION"),
        failover_region: str | None = typer.Option(None, "--failover-region", help="Where a failover rebuilds it (default: a nearby region)."),
        account: str | None = typer.Option(None, "--account", help="The AWS account id (12 digits); left as a placeholder if omitted."),
        domain: str | None = typer.Option(None, "--domain", help="The DNS name clients will use (the certificate must cover it)."),
        allowed_cidr: list[str] | None = typer.Option(  # noqa: B008 - typer's own idiom for a repeatable option
            None, "--allowed-cidr", metavar="CIDR", help="A client network allowed to reach the ALB (repeat for more); left as a placeholder if omitted.",
        ),
        certificate_arn: list[str] | None = typer.Option(  # noqa: B008 - typer's own idiom for a repeatable option
            None, "--certificate-arn", metavar="ARN",
            help="The ACM certificate of one of the env's regions (repeat: one per region); left as a placeholder if omitted.",
        ),
        sandbox: bool = typer.Option(
            False, "--sandbox", help="A sandbox: small, unprotected; may plan with placeholders (up/apply refuse them all the same).",
        ),
        module_source: str | None = typer.Option(
            None, "--module-source", envvar="CHROMACTL_MODULE_SOURCE",
            help="Git repository of the Terraform modules (a fork or internal mirror); the ref is pinned to this chromactl's version.",
        ),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Write envs/<env>/ (a root calling the pinned stack module, terraform.tfvars, chromactl.toml) here."""
        from chromactl.scaffold import InitRequest, init_env, project_for_init

        actx = app_context(ctx, json_out)
        req = InitRequest(
            env=env, region=region, failover_region=failover_region, account_id=account, domain=domain,
            sandbox=sandbox, module_repository=module_source, allowed_cidrs=tuple(allowed_cidr or ()),
            certificate_arns=tuple(certificate_arn or ()),
        )
        result = init_env(req, project_for_init(root=actx.root))
        for warning in result.warnings:
            actx.output.warn(warning)

        def render(console) -> None:  # type: ignore[no-untyped-def]
            console.print(f"Wrote env {result.env} in {result.env_dir} (stack module {result.module_source}):")
            for path in result.wrote:
                console.print(f"  {path.relative_to(result.project)}")
            if result.to_fill:
                console.print(f"Still to fill in before up/apply ({len(result.to_fill)}):")
                for item in result.to_fill:
                    console.print(f"  {item}")
            if result.to_create:
                console.print(f"Still to create in AWS before the first plan ({len(result.to_create)}; doctor checks it):")
                for item in result.to_create:
                    console.print(f"  {item}")
            console.print("Next: " + "; ".join(result.next_steps()))

        actx.output.result(result.to_dict(), render)
