"""Create, through the emulator's IAM API, a user the way the seed blog post does by hand.

An IAM user with AdministratorAccess, an access key, and a virtual MFA device enabled with two
consecutive TOTP codes; optionally a role that the user may assume with MFA. Everything goes over
HTTP with boto3 and throw-away bootstrap credentials, like any other client of the emulator.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .mfa import code_at

BOOTSTRAP_KEY_ID = "AKIAEMULATORBOOTSTRAP"
BOOTSTRAP_SECRET = "emulator-bootstrap-secret-not-a-real-one"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def iam_client(endpoint: str, account_id: str | None, region: str = "us-east-1") -> Any:
    client = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=BOOTSTRAP_KEY_ID,
        aws_secret_access_key=BOOTSTRAP_SECRET,
    )
    if account_id:  # moto files the resources under this account
        def add_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account_id

        client.meta.events.register("before-sign.iam.*", add_account)
    return client


def setup_user(
    endpoint: str, user: str, account_id: str | None = None, role: str | None = None
) -> dict[str, Any]:
    iam = iam_client(endpoint, account_id)
    created = iam.create_user(UserName=user)["User"]
    try:
        iam.attach_user_policy(UserName=user, PolicyArn=ADMIN_POLICY_ARN)
    except ClientError:
        iam.put_user_policy(
            UserName=user, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
    key = iam.create_access_key(UserName=user)["AccessKey"]

    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    # boto3 undoes the base64 of the XML blob: what is left is the base32 seed as bytes
    seed = device["Base32StringSeed"].decode("ascii")
    now = time.time()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=code_at(seed, now),
        AuthenticationCode2=code_at(seed, now + 30),
    )

    result: dict[str, Any] = {
        "user": user,
        "user_arn": created["Arn"],
        "account_id": created["Arn"].split(":")[4],
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "mfa_serial": device["SerialNumber"],
        "seed": seed,
    }
    if role:
        result["role_arn"] = create_mfa_role(iam, role, result["account_id"])
    return result


def create_mfa_role(iam: Any, role: str, account_id: str) -> str:
    """A role with AdministratorAccess that principals of ``account_id`` may assume with MFA."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    try:
        iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN_POLICY_ARN)
    except ClientError:
        iam.put_role_policy(
            RoleName=role, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
    return arn
