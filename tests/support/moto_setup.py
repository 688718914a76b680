"""Sets up moto's IAM for the mfa-env end-to-end tests, then turns request authentication on.

Usage: python moto_setup.py ENDPOINT [--no-auth]  ->  prints JSON with the user's keys and the
role ARNs. With --no-auth, authentication stays off (moto does not accept its own GetSessionToken
credentials with it on, and `keys rotate` signs IAM calls with the MFA session): the caller turns
it on later with a POST to /moto-api/reset-auth.
"""
import json
import sys
import urllib.request

import boto3

endpoint = sys.argv[1]
iam = boto3.client(
    "iam",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIASETUPSETUPSETUP0",
    aws_secret_access_key="setup",
)

iam.create_user(UserName="alice")
key = iam.create_access_key(UserName="alice")["AccessKey"]
iam.create_user(UserName="bob")
account = "123456789012"
alice_arn = f"arn:aws:iam::{account}:user/alice"
bob_arn = f"arn:aws:iam::{account}:user/bob"


def trust(principal):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


deploy = iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=trust(alice_arn))["Role"]["Arn"]
other = iam.create_role(RoleName="BobOnly", AssumeRolePolicyDocument=trust(bob_arn))["Role"]["Arn"]
iam.put_user_policy(
    UserName="alice",
    PolicyName="sts",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sts:GetSessionToken", "sts:AssumeRole", "sts:GetCallerIdentity"],
                    "Resource": "*",
                }
            ],
        }
    ),
)

# From now on moto checks signatures and IAM permissions.
auth_on = "--no-auth" not in sys.argv[2:]
req = urllib.request.Request(
    f"{endpoint}/moto-api/reset-auth",
    data=b"0",
    headers={"Content-Type": "text/plain"},
    method="POST",
)
if auth_on:
    urllib.request.urlopen(req).read()

print(
    json.dumps(
        {
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
            "user_arn": alice_arn,
            "deploy_role": deploy,
            "other_role": other,
        }
    )
)
