#!/usr/bin/env bash
# Self-contained check of the Serverless part of the demo, without stsvault:
# start moto and the call-logging proxy on free 127.0.0.1 ports, deploy the
# example service with fixed env credentials through deploy.sh, check that
# every AWS call was signed with those credentials, stop both servers.
#
# Usage: test-support/sls/smoke.sh [DIR]   (DIR as for deploy.sh)
# Needs python3 with moto[server] (PYTHON=... to pick another interpreter), node, npm.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/stsvault-sls-smoke.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "smoke.sh: nothing listening on 127.0.0.1:$1" >&2; return 1
}

moto_port="$(free_port)"
"$py" -m moto.server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
proxy_port="$(free_port)"
"$py" "$here/aws_call_log_proxy.py" --listen "127.0.0.1:$proxy_port" \
  --upstream "http://127.0.0.1:$moto_port" --log "$tmp/calls.jsonl" 2>"$tmp/proxy.log" &
pids+=($!)
wait_port "$moto_port"
wait_port "$proxy_port"

# Scrub anything that could outrank or replace the env credentials below.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_PROD_PROFILE AWS_PROD_ACCESS_KEY_ID AWS_PROD_SECRET_ACCESS_KEY
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_ACCESS_KEY_ID=ASIASMOKETEST0000001 AWS_SECRET_ACCESS_KEY=smoke-secret
export AWS_SESSION_TOKEN=smoke-session-token AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$proxy_port"

start=$(date +%s)
"$here/deploy.sh" "$@"
echo "smoke.sh: deploy.sh took $(( $(date +%s) - start )) s"
"$py" "$here/aws_call_log_proxy.py" --summary "$tmp/calls.jsonl"
