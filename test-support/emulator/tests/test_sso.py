"""The emulator's IAM Identity Center: boto3's SSO OIDC and SSO clients drive the device flow."""

from __future__ import annotations

import urllib.error
import urllib.request

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def unsigned(emulator, service):
    return boto3.client(
        service, endpoint_url=emulator.endpoint, region_name="eu-west-1", config=Config(signature_version=UNSIGNED)
    )


def device_flow(emulator, approve=True):
    oidc = unsigned(emulator, "sso-oidc")
    client = oidc.register_client(clientName="tests", clientType="public")
    device = oidc.start_device_authorization(
        clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl="https://example.awsapps.com/start"
    )
    args = dict(clientId=client["clientId"], clientSecret=client["clientSecret"], grantType=GRANT,
                deviceCode=device["deviceCode"])
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        oidc.create_token(**args)
    url = device["verificationUriComplete"] + ("" if approve else "&action=deny")
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
    return oidc, args


def test_device_flow_gives_a_token_that_fetches_real_role_credentials(emulator, user):
    oidc, args = device_flow(emulator)
    token = oidc.create_token(**args)
    assert token["tokenType"] == "Bearer" and token["expiresIn"] > 3600
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**args)  # a device code serves once

    role_name = user["role_arn"].split("/")[-1]
    creds = unsigned(emulator, "sso").get_role_credentials(
        roleName=role_name, accountId=user["account_id"], accessToken=token["accessToken"]
    )["roleCredentials"]
    who = boto3.client(
        "sts", endpoint_url=emulator.endpoint, region_name="us-east-1",
        aws_access_key_id=creds["accessKeyId"], aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    ).get_caller_identity()
    assert who["Arn"].startswith(f"arn:aws:sts::{user['account_id']}:assumed-role/{role_name}/")
    calls = emulator.calls(service="sso", action="GetRoleCredentials")
    assert calls[-1]["params"] == {"account_id": user["account_id"], "role_name": role_name}
    assert calls[-1]["issued_access_key_id"] == creds["accessKeyId"]


def test_denied_request_and_bad_tokens_are_refused(emulator, user):
    oidc, args = device_flow(emulator, approve=False)
    with pytest.raises(oidc.exceptions.AccessDeniedException):
        oidc.create_token(**args)
    sso = unsigned(emulator, "sso")
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.get_role_credentials(roleName="x", accountId=user["account_id"], accessToken="not-a-token")
    oidc, args = device_flow(emulator)
    token = oidc.create_token(**args)["accessToken"]
    with pytest.raises(ClientError) as e:
        sso.get_role_credentials(roleName="no-such-role", accountId=user["account_id"], accessToken=token)
    assert e.value.response["Error"]["Code"] == "ForbiddenException"
    with pytest.raises(urllib.error.HTTPError):  # the page serves a pending request only
        urllib.request.urlopen(emulator.endpoint + "/_stsvault/sso/device?user_code=NOPE-NOPE", timeout=10)
