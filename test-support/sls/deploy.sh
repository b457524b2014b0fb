#!/usr/bin/env bash
# Deploy the example Serverless (osls) service non-interactively and print the
# CloudFormation stack status afterwards.
#
# Usage:
#   test-support/sls/deploy.sh [--copy] [--no-status] [--plugin-credentials] [DIR] [-- EXTRA_SLS_ARGS...]
#
#   DIR        the service directory, or a working copy of the stsvault repo
#              (then DIR/examples/serverless-service is used).
#              Default: the examples/serverless-service of the repo holding this script.
#   --copy     deploy from a scratch copy of the service (its own .serverless/),
#              so that several deploys of one working copy can run at once;
#              node_modules is shared through a symlink.
#   --no-status  skip the DescribeStacks/ListStackResources calls made afterwards.
#   --plugin-credentials  the service gets its credentials from the stsvault plugin: none may
#              be in the environment (implies --no-status, which would need them).
#
# Environment:
#   AWS credentials in env (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
#   as `stsvault exec PROFILE -- test-support/sls/deploy.sh` sets them.
#   AWS_ENDPOINT_URL   e.g. http://127.0.0.1:PORT for a moto server (AWS SDK v3 honours it).
#   AWS_REGION         default us-east-1 (the service pins us-east-1 anyway).
#   SLS_STAGE          default prod.
#   SLS_FRAMEWORK      the framework package that deploys: osls (default), or serverless (v3,
#                      pointed at AWS_ENDPOINT_URL by aws-sdk-v2-endpoint.cjs).
#   SLS_AWS_MONITORING_FREQUENCY  CloudFormation poll interval in ms; default here 500
#                      (osls' own default, 5000, makes a moto deploy ~10 s slower).
#
# Node modules are installed with `npm ci` if node_modules/osls is absent
# (under flock, so concurrent callers install once).
# Exit status: that of the deploy, or 3 if the stack is not in a *_COMPLETE state.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
copy=0
status=1
plugin=0
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --copy) copy=1; shift ;;
    --no-status) status=0; shift ;;
    --plugin-credentials) plugin=1; status=0; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "deploy.sh: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$dir" ] || { echo "deploy.sh: one DIR only" >&2; exit 2; }; dir="$1"; shift ;;
  esac
done
dir="${dir:-$here/../../examples/serverless-service}"
if [ ! -f "$dir/serverless.yml" ] && [ -f "$dir/examples/serverless-service/serverless.yml" ]; then
  dir="$dir/examples/serverless-service"
fi
[ -f "$dir/serverless.yml" ] || { echo "deploy.sh: no serverless.yml in $dir" >&2; exit 2; }
dir="$(cd "$dir" && pwd)"

stage="${SLS_STAGE:-prod}"
stage_upper="$(printf %s "$stage" | tr '[:lower:]-' '[:upper:]_')"

# osls picks credentials in this order: --aws-profile, AWS_<STAGE>_PROFILE,
# AWS_<STAGE>_ACCESS_KEY_ID/SECRET, AWS_PROFILE, AWS_ACCESS_KEY_ID/SECRET, provider.profile, ...
# Anything that outranks the plain env credentials would make the deploy prove nothing.
for v in "AWS_${stage_upper}_PROFILE" "AWS_${stage_upper}_ACCESS_KEY_ID" AWS_PROFILE; do
  if [ -n "${!v:-}" ]; then
    echo "deploy.sh: $v is set and would outrank AWS_ACCESS_KEY_ID in osls; refusing" >&2
    exit 2
  fi
done
if [ "$plugin" = 1 ]; then
  if [ -n "${AWS_ACCESS_KEY_ID:-}${AWS_SECRET_ACCESS_KEY:-}${AWS_SESSION_TOKEN:-}" ]; then
    echo "deploy.sh: --plugin-credentials, but AWS credentials are in the environment; refusing" >&2
    exit 2
  fi
elif [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  echo "deploy.sh: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set" >&2
  exit 2
fi

# Non-interactive, quiet, fast.
export CI="${CI:-true}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export SLS_AWS_MONITORING_FREQUENCY="${SLS_AWS_MONITORING_FREQUENCY:-500}"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# osls has no telemetry, dashboard or update check; these keep upstream `serverless` quiet too.
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SLS_DEPRECATION_NOTIFICATION_MODE=warn
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if [ ! -f "$dir/node_modules/osls/bin/serverless.js" ]; then
  (
    flock 9
    if [ ! -f "$dir/node_modules/osls/bin/serverless.js" ]; then
      echo "deploy.sh: npm ci in $dir" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    fi
  ) 9>"$dir/.npm-ci.lock"
  rm -f "$dir/.npm-ci.lock"
fi

workdir="$dir"
if [ "$copy" = 1 ]; then
  workdir="$(mktemp -d "${TMPDIR:-/tmp}/stsvault-sls.XXXXXX")"
  trap 'rm -rf "$workdir"' EXIT
  (cd "$dir" && tar -cf - --exclude=./node_modules --exclude=./.serverless --exclude=./.npm-ci.lock .) \
    | (cd "$workdir" && tar -xf -)
  ln -s "$dir/node_modules" "$workdir/node_modules"
fi

framework="${SLS_FRAMEWORK:-osls}"
case "$framework" in
  osls) ;;
  serverless)
    export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
    [ -z "${AWS_ENDPOINT_URL:-}" ] || export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require $here/aws-sdk-v2-endpoint.cjs" ;;
  *) echo "deploy.sh: SLS_FRAMEWORK must be osls or serverless, not $framework" >&2; exit 2 ;;
esac
[ -f "$dir/node_modules/$framework/bin/serverless.js" ] || { echo "deploy.sh: $framework is not installed in $dir" >&2; exit 2; }

cd "$workdir"
rc=0
node "node_modules/$framework/bin/serverless.js" deploy --verbose --stage "$stage" "$@" </dev/null || rc=$?
[ "$status" = 1 ] || exit "$rc"

service="$(sed -n 's/^service:[[:space:]]*\([A-Za-z0-9-]*\).*/\1/p' serverless.yml | head -1)"
STACK="${service}-${stage}" node - <<'EOF' || { [ "$rc" != 0 ] || rc=3; }
const { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } =
  require(process.cwd() + '/node_modules/@aws-sdk/client-cloudformation');
(async () => {
  const cf = new CloudFormationClient({});
  const stack = process.env.STACK;
  const { Stacks } = await cf.send(new DescribeStacksCommand({ StackName: stack }));
  const st = Stacks[0].StackStatus;
  console.log(`stack ${stack}: ${st}`);
  const { StackResourceSummaries: rs } =
    await cf.send(new ListStackResourcesCommand({ StackName: stack }));
  for (const r of rs.filter((r) => r.ResourceType === 'AWS::Lambda::Function')) {
    console.log(`function ${r.PhysicalResourceId}: ${r.ResourceStatus}`);
  }
  if (!/^(CREATE|UPDATE)_COMPLETE$/.test(st)) process.exit(3);
})().catch((e) => { console.error(`stack status: ${e.name}: ${e.message}`); process.exit(3); });
EOF
exit "$rc"
