// The binding against the emulator's STS, driven as a Node program would: the real
// @aws-sdk/client-sts with `fromVault`, `credentials()`, MFA codes from a JS function or an
// `mfa_process`, errors as Error subclasses.

import { after, before, beforeEach, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { Emulator, currentCode, wrongCode, python, REPO } from '../../test-support/node/emulator.mjs';
import { Sandbox } from '../../test-support/node/sandbox.mjs';

const require = createRequire(import.meta.url);
const stsvault = require('../index.js');

let emulator;
let sandbox;
let user;
let n = 0;
let mark = 0;

before(async () => {
  emulator = await Emulator.start(mkdtempSync(join(tmpdir(), 'stsvault-node-emu-')));
});
after(async () => {
  assert.equal(await emulator.stop(), 0);
});
beforeEach(() => {
  n += 1;
  user = emulator.setupUser(`node-user${n}`, { role: `node-role${n}` });
  mark = emulator.mark();
  sandbox = new Sandbox(emulator);
  sandbox.writeConfig(`[profile deployer]\nmfa_serial = ${user.mfa_serial}\nregion = eu-west-1\n`);
  sandbox.addKeys('deployer', user);
});
afterEach(() => sandbox.close());

/** An mfaCodeProvider answering with the current code, recording what it was asked. */
function countingPrompt(seed, delayMs = 0) {
  const asked = [];
  const prompt = async (serial, profile) => {
    asked.push([serial, profile]);
    if (delayMs) await new Promise((done) => setTimeout(done, delayMs));
    return currentCode(seed);
  };
  return { prompt, asked };
}

const sessionTokenCalls = () =>
  emulator.calls({ service: 'sts', action: 'GetSessionToken', access_key_id: user.access_key_id });

test('client-sts calls GetCallerIdentity with the MFA session from fromVault', async () => {
  const { prompt, asked } = countingPrompt(user.seed);
  const sts = new STSClient({ region: 'eu-west-1', credentials: stsvault.fromVault({ profile: 'deployer', mfaCodeProvider: prompt }) });
  const ident = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(ident.Arn, user.user_arn);
  assert.deepEqual(asked, [[user.mfa_serial, 'deployer']]);
  const [gst] = sessionTokenCalls();
  assert.equal(gst.status, 200);
  const signed = emulator.calls({ service: 'sts', action: 'GetCallerIdentity' }, mark);
  assert.deepEqual(signed.map((c) => c.access_key_id), [gst.issued_access_key_id]);
});

test('credentials() comes from the shared cache on the next call, without a prompt', async () => {
  const { prompt, asked } = countingPrompt(user.seed);
  const first = await stsvault.credentials('deployer', { mfaCodeProvider: prompt });
  assert.match(first.accessKeyId, /^ASIA/);
  assert.ok(first.sessionToken);
  assert.ok(first.expiration instanceof Date && first.expiration > new Date());
  const again = await stsvault.credentials('deployer', { mfaCodeProvider: prompt });
  assert.deepEqual({ ...again }, { ...first });
  assert.equal(asked.length, 1);
  assert.equal(sessionTokenCalls().length, 1);
});

test('the SDK refreshes role credentials near expiry without a new prompt', async () => {
  // Two-minute role sessions: the SDK counts anything within five minutes of expiry as
  // expired, so it asks fromVault again before every call; each answer is a new AssumeRole
  // signed by the one cached MFA session.
  sandbox.writeConfig(
    `[profile base]\nmfa_serial = ${user.mfa_serial}\nregion = eu-west-1\n` +
      `[profile admin]\nsource_profile = base\nrole_arn = ${user.role_arn}\n` +
      `mfa_serial = ${user.mfa_serial}\nduration_seconds = 120\nregion = eu-west-1\n`,
  );
  sandbox.addKeys('base', user);
  const { prompt, asked } = countingPrompt(user.seed);
  const sts = new STSClient({ region: 'eu-west-1', credentials: stsvault.fromVault({ profile: 'admin', mfaCodeProvider: prompt }) });
  const arns = [];
  for (let i = 0; i < 3; i += 1) arns.push((await sts.send(new GetCallerIdentityCommand({}))).Arn);
  assert.ok(arns.every((arn) => arn.includes(':assumed-role/node-role')), arns.join(' '));
  assert.equal(asked.length, 1);
  assert.equal(sessionTokenCalls().length, 1);
  const assumed = new Set(
    emulator.calls({ service: 'sts', action: 'AssumeRole', status: 200 }, mark).map((c) => c.issued_access_key_id),
  );
  const used = emulator.calls({ service: 'sts', action: 'GetCallerIdentity' }, mark).map((c) => c.access_key_id);
  assert.equal(used.length, 3);
  assert.ok(used.every((k) => assumed.has(k)));
  assert.equal(new Set(used).size, 3, 'each call was signed by a renewed role session');
});

test('concurrent callers share one prompt and one STS call', async () => {
  const { prompt, asked } = countingPrompt(user.seed, 300);
  const clients = Array.from({ length: 8 }, () =>
    new STSClient({ region: 'eu-west-1', credentials: stsvault.fromVault({ profile: 'deployer', mfaCodeProvider: prompt }) }));
  const idents = await Promise.all(clients.map((c) => c.send(new GetCallerIdentityCommand({}))));
  assert.ok(idents.every((i) => i.Arn === user.user_arn));
  assert.equal(asked.length, 1);
  assert.equal(sessionTokenCalls().length, 1);
  const keys = new Set(emulator.calls({ service: 'sts', action: 'GetCallerIdentity' }, mark).map((c) => c.access_key_id));
  assert.equal(keys.size, 1);
});

test('the event loop keeps running while a prompt is pending', async () => {
  // mfa_process answers after a second; the code is fetched in the addon, off the JS thread.
  process.env.STSVAULT_TEST_SEED = user.seed;
  process.env.PYTHONPATH = join(REPO, 'test-support', 'emulator');
  const command = `sleep 1; exec "${python()}" -m stsvault_emulator totp --seed "$STSVAULT_TEST_SEED"`;
  sandbox.writeConfig(
    `[profile deployer]\nmfa_serial = ${user.mfa_serial}\nmfa_process = sh -c '${command}'\n`,
  );
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 50);
  try {
    const creds = await stsvault.credentials('deployer');
    assert.match(creds.accessKeyId, /^ASIA/);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 10, `the timer fired ${ticks} times while the prompt ran`);
});

test('a wrong code is an MfaError; a given right one works', async () => {
  await assert.rejects(stsvault.credentials('deployer', { mfaCode: wrongCode(user.seed) }), (e) => {
    assert.ok(e instanceof stsvault.MfaError && e instanceof stsvault.StsvaultError && e instanceof Error);
    assert.equal(e.code, 'MfaError');
    assert.match(e.message, /rejected the MFA code/);
    return true;
  });
  const creds = await stsvault.credentials('deployer', { mfaCode: await currentCode(user.seed) });
  assert.ok(creds.sessionToken);
});

test("an error thrown by mfaCodeProvider reaches the caller unchanged", async () => {
  class Cancelled extends Error {}
  const refuse = async (_serial, profile) => { throw new Cancelled(`no code for ${profile}`); };
  await assert.rejects(stsvault.credentials('deployer', { mfaCodeProvider: refuse }), (e) => {
    assert.ok(e instanceof Cancelled);
    assert.equal(e.message, 'no code for deployer');
    return true;
  });
  assert.equal(sessionTokenCalls().length, 0);
});

test('errors name the problem and the fix', async () => {
  await assert.rejects(stsvault.credentials('nowhere'), (e) => {
    assert.ok(e instanceof stsvault.ConfigError);
    assert.match(e.message, /stsvault add nowhere/);
    return true;
  });
  await assert.rejects(stsvault.credentials('deployer', { backend: 'no-such-backend' }), stsvault.VaultError);
  assert.throws(() => stsvault.credentials(''), TypeError);
});

test('printing credentials shows no secret', async () => {
  const creds = await stsvault.credentials('deployer', { mfaCode: await currentCode(user.seed) });
  const shown = [inspect(creds), inspect({ creds }), inspect(new stsvault.VaultProvider('deployer'))].join('\n');
  assert.ok(shown.includes(creds.accessKeyId));
  for (const secret of [creds.secretAccessKey, creds.sessionToken, user.secret_access_key]) {
    assert.ok(!shown.includes(secret), 'a secret was printed');
  }
});
