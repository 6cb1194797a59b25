"""Checks before Terraform touches the S3 backend, so its failures read as one sentence."""

from __future__ import annotations

from typing import Any

from chromactl.aws.session import ClientFactory, describe_aws_error, error_code
from chromactl.config import EnvConfig
from chromactl.errors import ChromactlError, ConfigError, OperationFailed


def NETWORK_ERRORS(bex: Any) -> tuple[type[BaseException], ...]:
    """botocore's connection failures (botocore/exceptions.py: EndpointConnectionError, ConnectTimeoutError,
    ReadTimeoutError, ConnectionClosedError, ProxyConnectionError): no answer, so nothing is known about the credentials."""
    return (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError, bex.ConnectionClosedError,
            bex.ProxyConnectionError)


NO_CREDENTIALS = "No AWS credentials found."
NO_CREDENTIALS_HINT = "Set --profile / AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run `chromactl doctor`."


def require_credentials(factory: Any) -> None:
    """The credential chain yields credentials, else the same ConfigError (exit 2) as caller_identity's.

    Local, no request: botocore signs with the session's resolved credentials and raises
    NoCredentialsError when there are none (botocore/auth.py, SigV4Auth.add_auth: `if self.credentials
    is None`; botocore/session.py, Session.get_credentials loads the provider chain). For the verbs
    whose AWS calls sit in frozen modules (rotation/token.py maps it to exit 1), checked before them.
    """
    if factory.session().get_credentials() is None:
        raise ConfigError(NO_CREDENTIALS, NO_CREDENTIALS_HINT)


def caller_identity(factory: Any, region: str) -> dict[str, Any]:
    """STS get_caller_identity, or a clear error when there are no (valid) credentials."""
    import botocore.exceptions as bex

    try:
        return dict(factory.client("sts", region).get_caller_identity())
    except (bex.NoCredentialsError, bex.PartialCredentialsError):
        # configuration, not a failed operation: exit 2, as the README says configuration errors do
        raise ConfigError(NO_CREDENTIALS, NO_CREDENTIALS_HINT) from None
    except ChromactlError:
        raise
    except NETWORK_ERRORS(bex) as exc:  # the network, not the credentials
        raise OperationFailed(f"Cannot reach AWS STS in {region}: {describe_aws_error(exc)}.",
                              "Check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL; the credentials were not checked.") from None
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        raise OperationFailed(f"The AWS credentials do not work: {describe_aws_error(exc)}.", "Refresh them (e.g. `aws sso login`), then run `chromactl doctor`.") from None


def check_bucket(factory: Any, env: EnvConfig) -> None:
    """The state bucket exists and is reachable, else a ConfigError naming `bootstrap`."""
    import botocore.exceptions as bex

    assert env.state is not None
    s3 = factory.client("s3", env.state.region)
    try:
        s3.head_bucket(Bucket=env.state.bucket)
    except bex.ClientError as exc:
        code = error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise ConfigError(
                f"The state bucket {env.state.bucket} does not exist in {env.state.region}.",
                f"Create it with `chromactl bootstrap --env {env.name}`.",
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise OperationFailed(
                f"Access to the state bucket {env.state.bucket} is denied.",
                "Use credentials for the account that owns it, or fix [state] bucket in the env's chromactl.toml.",
            ) from None
        raise OperationFailed(f"Cannot reach the state bucket {env.state.bucket}: {describe_aws_error(exc)}.", "Run `chromactl doctor`.") from None
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        raise OperationFailed(f"Cannot reach the state bucket {env.state.bucket}: {describe_aws_error(exc)}.", "Check the network and credentials; run `chromactl doctor`.") from None


def check_state_backend(env: EnvConfig, *, profile: str | None = None, factory: Any = None) -> None:
    """Credentials work and the state bucket exists (before `terraform init`)."""
    assert env.state is not None
    factory = factory or ClientFactory(profile=profile, max_attempts=2)
    caller_identity(factory, env.state.region)
    check_bucket(factory, env)
