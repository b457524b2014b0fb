// The Serverless Framework plugin, driven as a user runs it: the real osls (the open fork of
// Serverless Framework v3, AWS SDK v3) and serverless@3 (AWS SDK v2) load `stsvault/serverless`
// in examples/serverless-plugin-service, and a plain `sls deploy -s prod` in a terminal deploys
// to the emulator with the vault's session.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator, python, REPO } from '../../test-support/node/emulator.mjs';
import { Sandbox } from '../../test-support/node/sandbox.mjs';

const SERVICE = join(REPO, 'examples', 'serverless-plugin-service');

/** Runs `command` in a pseudo-terminal, typing the current MFA code at the prompt. */
function inTerminal(command, env) {
  const args = [join(REPO, 'test-support', 'pty_answer.py'), '--timeout', '300',
    '--answer', 'MFA code=totp:STSVAULT_TEST_SEED', '--', ...command];
  return new Promise((done, fail) => {
    const child = spawn(python(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, output }));
  });
}

/** Deploys the plugin service with `framework` to a fresh emulator and checks every call. */
async function deployWith(framework) {
  const emulator = await Emulator.start(mkdtempSync(join(tmpdir(), 'stsvault-sls-emu-')));
  const user = emulator.setupUser('sls-administrator');
  const sandbox = new Sandbox(emulator);
  try {
    sandbox.writeConfig(`[profile sls-administrator]\nmfa_serial = ${user.mfa_serial}\nregion = us-east-1\n`);
    sandbox.addKeys('sls-administrator', user);
    const mark = emulator.mark();
    const env = { ...process.env, STSVAULT_TEST_SEED: user.seed, SLS_STAGE: 'prod', SLS_FRAMEWORK: framework };
    const deploy = [join(REPO, 'test-support', 'sls', 'deploy.sh'), '--copy', '--plugin-credentials', SERVICE];
    const { code, output } = await inTerminal(deploy, env);
    assert.equal(code, 0, output);
    assert.match(output, /Service deployed to stack stsvault-plugin-demo-prod/);
    assert.equal(output.match(/Enter MFA code/g)?.length, 1, output);

    const calls = emulator.calls({}, mark);
    const sessions = calls.filter((c) => c.action === 'GetSessionToken');
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].access_key_id, user.access_key_id);
    assert.equal(sessions[0].status, 200);
    const session = sessions[0].issued_access_key_id;
    const rest = calls.filter((c) => c !== sessions[0]);
    assert.ok(rest.length >= 20, `the deploy made ${rest.length} calls`);
    const signers = new Set(rest.map((c) => c.access_key_id));
    assert.deepEqual([...signers], [session], 'every call of the deploy is signed by the session');
    assert.ok(rest.some((c) => c.service === 'cloudformation' && c.action === 'ExecuteChangeSet' && c.status === 200));
    assert.ok(rest.some((c) => c.service === 's3' && c.action.startsWith('PUT ') && c.status === 200));
  } finally {
    sandbox.close();
    assert.equal(await emulator.stop(), 0);
  }
}

test('osls: a plain `sls deploy -s prod` deploys with the vault session after one MFA prompt', () =>
  deployWith('osls'));

test('serverless@3: a plain `sls deploy -s prod` deploys with the vault session after one MFA prompt', () =>
  deployWith('serverless'));
