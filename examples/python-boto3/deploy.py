#!/usr/bin/env python3
"""A deploy script in the style of the seed's pipeline, with MFA credentials in-process.

    python deploy.py sls-administrator prod

stsvault opens the vault, asks for the MFA code once (the profile's mfa_process, else the
terminal) and hands boto3 a session that renews itself from the cached MFA session. The script
uploads a build artifact to the stage's bucket and deploys a CloudFormation stack, then prints
a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys

import stsvault

SERVICE = "stsvault-example"

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "stsvault example service",
    "Parameters": {"Stage": {"Type": "String"}},
    "Resources": {"Uploads": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {"UploadsBucket": {"Value": {"Ref": "Uploads"}}},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("stage")
    args = parser.parse_args()

    try:
        session = stsvault.boto3_session(args.profile)
    except stsvault.Error as e:
        print(f"deploy: {e}", file=sys.stderr)
        return 1
    account = session.client("sts").get_caller_identity()["Account"]

    bucket = f"{SERVICE}-{args.stage}-artifacts-{account}"
    s3 = session.client("s3")
    if session.region_name in (None, "us-east-1"):
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(
            Bucket=bucket,
            CreateBucketConfiguration={"LocationConstraint": session.region_name},
        )
    s3.put_object(Bucket=bucket, Key=f"{args.stage}/build.zip", Body=b"build artifact")

    stack = f"{SERVICE}-{args.stage}"
    cfn = session.client("cloudformation")
    cfn.create_stack(
        StackName=stack,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": args.stage}],
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    print(
        json.dumps(
            {
                "stack": stack,
                "status": described["StackStatus"],
                "artifact": f"s3://{bucket}/{args.stage}/build.zip",
                "outputs": {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
                "signed_by": session.get_credentials().access_key,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
