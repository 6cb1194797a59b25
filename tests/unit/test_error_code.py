"""chromactl.aws.session.error_code: the one AWS error-code lookup, fed botocore's own ClientErrors
(as botocore raises them from a parsed error response; botocore/exceptions.py ClientError)."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from chromactl.aws.session import error_code


def test_the_code_of_a_client_error_botocore_raised() -> None:
    sm = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(sm) as stub:
        stub.add_client_error("describe_secret", service_error_code="ResourceNotFoundException", http_status_code=400)
        with pytest.raises(ClientError) as exc:
            sm.describe_secret(SecretId="chromactl-dev/alb-token")
    assert error_code(exc.value) == "ResourceNotFoundException"


def test_a_head_404_without_a_body_has_the_status_as_its_code() -> None:
    # S3 HeadObject/HeadBucket errors have no body: botocore's parser uses the HTTP status as the code
    err = ClientError({"Error": {"Code": "404", "Message": "Not Found"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, "HeadObject")
    assert error_code(err) == "404"


@pytest.mark.parametrize("exc", [
    EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
    ValueError("not an AWS error"),
    ClientError({}, "DescribeSecret"),  # an error response without an Error element
])
def test_anything_without_a_code_is_the_empty_string(exc: BaseException) -> None:
    assert error_code(exc) == ""


def test_the_helper_imports_no_boto() -> None:
    code = "import sys, chromactl.aws.session; print(any(m.split('.')[0] in ('boto3', 'botocore') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    assert out == "False"
