// Preloaded (NODE_OPTIONS=--require) by deploy.sh when it runs serverless@3, whose AWS SDK for
// JavaScript v2 ignores AWS_ENDPOINT_URL: every v2 client of that framework then calls the
// endpoint in AWS_ENDPOINT_URL (the emulator), S3 path-style. Test harness only.
'use strict';
const endpoint = process.env.AWS_ENDPOINT_URL;
if (endpoint) {
  const frameworkPackage = require.resolve('serverless/package.json', { paths: [process.cwd()] });
  const AWS = require(require.resolve('aws-sdk', { paths: [frameworkPackage] }));
  AWS.config.update({ endpoint, s3ForcePathStyle: true });
}
