#!/usr/bin/env bash
# `make demo`: the seed's story end to end, for real, against the local AWS emulator.
#   1. start moto behind our TOTP-checking guard on 127.0.0.1
#   2. create the IAM user `sls-administrator` with a virtual MFA device
#   3. `stsvault add sls-administrator` (typing the keys and the vault passphrase at its prompts)
#   4. write `[profile sls-administrator] mfa_serial = …` into the AWS config
#   5. `stsvault exec sls-administrator -- sls deploy --verbose -s prod` (typing the current TOTP
#      code; the passphrase typed in step 3 is still cached), then show the stack and who signed
#      every AWS call, and forget the cached passphrase with `stsvault lock`.
# Everything lives in .tmp/demo (its own ~/.aws/config and vault); your own files are untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
STSVAULT=${1:-${CARGO_TARGET_DIR:-target}/debug/stsvault}
PY=$PWD/.venv/bin/python
export PYTHONPATH=$PWD/test-support/emulator

demo=$PWD/.tmp/demo
rm -rf "$demo"; mkdir -p "$demo/aws"
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "starting the AWS emulator (moto + MFA guard) on 127.0.0.1"
"$PY" -m stsvault_emulator serve --port 0 --log "$demo/calls.jsonl" --ready-file "$demo/ready.json" --parent-pid $$ 2>"$demo/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do [ -s "$demo/ready.json" ] && break; sleep 0.1; done
endpoint=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$demo/ready.json")
echo "emulator at $endpoint"

say "creating IAM user sls-administrator with a virtual MFA device"
"$PY" -m stsvault_emulator setup-user --endpoint "$endpoint" --user sls-administrator > "$demo/user.json"
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$demo/user.json" "$1"; }
mfa_serial=$(field mfa_serial)
echo "MFA device: $mfa_serial"

# The demo's own AWS files and vault; secrets reach the prompts through the environment only.
export AWS_CONFIG_FILE=$demo/aws/config AWS_SHARED_CREDENTIALS_FILE=$demo/aws/credentials
export AWS_VAULT_BACKEND=file AWS_VAULT_FILE_DIR=$demo/awsvault/keys
export AWS_ENDPOINT_URL=$endpoint AWS_EC2_METADATA_DISABLED=true
unset AWS_VAULT AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_VAULT_FILE_PASSPHRASE
export DEMO_KEY_ID; DEMO_KEY_ID=$(field access_key_id)
export DEMO_SECRET; DEMO_SECRET=$(field secret_access_key)
export DEMO_SEED; DEMO_SEED=$(field seed)
export DEMO_PASSPHRASE="demo passphrase $RANDOM$RANDOM"
answer=("$PY" "$PWD/test-support/pty_answer.py"
  --answer 'Access Key ID: =env:DEMO_KEY_ID'
  --answer 'Secret Access Key: =hidden-env:DEMO_SECRET'
  --answer 'passphrase to unlock[^\n]*: =hidden-env:DEMO_PASSPHRASE'
  --answer 'Enter MFA code for[^\n]*: =totp:DEMO_SEED' --)

say "\$ stsvault add sls-administrator"
"${answer[@]}" "$STSVAULT" add sls-administrator

# From here on the passphrase comes from the passphrase cache in the kernel keyring (10 minutes
# since its last use, 2 hours at most): a prompt for it fails the demo. Where keyctl(2) is not
# allowed (a container's seccomp profile) or the cache is turned off, stsvault asks every time
# instead, and so the demo answers.
again=("${answer[@]}")
if [ "${STSVAULT_PASSPHRASE_CACHE:-}" != 0 ] && keyctl describe @s >/dev/null 2>&1; then
  again=("$PY" "$PWD/test-support/pty_answer.py" --forbid 'passphrase to unlock'
    --answer 'Enter MFA code for[^\n]*: =totp:DEMO_SEED' --)
fi

# shellcheck disable=SC2088 # the heading names the file as the user knows it
say "~/.aws/config"
cat > "$AWS_CONFIG_FILE" <<INI
[profile sls-administrator]
mfa_serial = $mfa_serial
region = us-east-1
INI
cat "$AWS_CONFIG_FILE"

say "\$ stsvault exec sls-administrator -- sls deploy --verbose -s prod"
svc=examples/serverless-service
[ -x "$svc/node_modules/.bin/sls" ] || (cd "$svc" && npm ci --no-audit --no-fund --loglevel=error)
export SLS_AWS_MONITORING_FREQUENCY=500 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true CI=${CI:-true}
(cd "$svc" && "${again[@]}" "$STSVAULT" exec sls-administrator -- ./node_modules/.bin/sls deploy --verbose -s prod)

say "\$ stsvault list"
"${again[@]}" "$STSVAULT" list

say "the deployed stack (a second exec: the cached session, no MFA prompt)"
"${again[@]}" "$STSVAULT" exec sls-administrator -- "$PY" -c '
import boto3
for s in boto3.client("cloudformation").describe_stacks()["Stacks"]:
    print(s["StackName"], s["StackStatus"])
for f in boto3.client("lambda").list_functions()["Functions"]:
    print("function", f["FunctionName"], f["Runtime"])'

say "who signed the AWS calls (from the emulator's log)"
"$PY" - "$demo/calls.jsonl" "$DEMO_KEY_ID" <<'PYEOF'
import collections, json, sys
calls = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
master = sys.argv[2]
gst = [c for c in calls if c["service"] == "sts" and c["action"] == "GetSessionToken"]
session_keys = {c["issued_access_key_id"] for c in gst if c["status"] == 200}
after = calls[calls.index(gst[0]) + 1:] if gst else []
by_signer = collections.Counter(
    "master key" if c["access_key_id"] == master else "MFA session" if c["access_key_id"] in session_keys else c["access_key_id"]
    for c in after)
print(f"GetSessionToken calls: {len(gst)} (MFA serial {gst[0]['params'].get('SerialNumber') if gst else '-'}), signed by the master key")
print("calls after it, by signing credentials:", dict(by_signer))
if by_signer.get("master key"):
    sys.exit("the master key signed a call after the session was issued")
PYEOF

say "\$ stsvault lock (forget the cached passphrase now)"
"$STSVAULT" lock
say "done: one passphrase, one MFA code, every deploy call signed by the MFA session"
