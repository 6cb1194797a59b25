import boto3


def test_moto_server_answers_sts(aws_env):
    ident = boto3.client("sts", region_name="us-east-1").get_caller_identity()
    assert ident["Account"].isdigit() and len(ident["Account"]) == 12
