// The file vault's passphrase cache across front-ends: the passphrase typed once into the
// `stsvault` command in a real pseudo-terminal, then a Node process — no terminal, nothing on
// stdin, no AWS_VAULT_FILE_PASSPHRASE — gets credentials through the binding without being
// asked. An explicit `filePassphrase` still wins over the cache; `stsvault lock` forgets it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator, python, REPO } from '../../test-support/node/emulator.mjs';
import { PASSPHRASE, STSVAULT_BIN, Sandbox } from '../../test-support/node/sandbox.mjs';

const PROMPT = 'passphrase to unlock';
const PROGRAM = `
const stsvault = require(${JSON.stringify(join(REPO, 'bindings-node', 'index.js'))});
stsvault.credentials('alpha', { noSession: true, ...JSON.parse(process.argv[1]) }).then(
  (c) => console.log(c.accessKeyId),
  (e) => { console.log(\`\${e.code}: \${e.message}\`); process.exit(3); });
`;

let emulator;
before(async () => {
  emulator = await Emulator.start(mkdtempSync(join(tmpdir(), 'stsvault-node-emu-')));
});
after(async () => {
  assert.equal(await emulator.stop(), 0);
});

/** The binding in a new process with no terminal (a new session) and nothing on stdin. */
function nodeChild(env, options = {}) {
  return spawnSync(process.execPath, ['-e', PROGRAM, JSON.stringify(options)], {
    env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000,
  });
}

/** `stsvault ARGS` with the environment `env` and no terminal. */
function stsvault(env, ...args) {
  return spawnSync(STSVAULT_BIN, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

test('a passphrase typed once into the command serves the binding in another process', () => {
  const user = emulator.setupUser('node-cache-user');
  const sandbox = new Sandbox(emulator);
  try {
    // Added with AWS_VAULT_FILE_PASSPHRASE, which neither reads nor fills the cache.
    sandbox.addKeys('alpha', user);
    sandbox.writeConfig('[profile alpha]\n');
    const env = { ...process.env };
    delete env.AWS_VAULT_FILE_PASSPHRASE;

    const before = nodeChild(env);
    assert.equal(before.status, 3, before.stdout + before.stderr);
    assert.match(before.stdout, /VaultError: cannot ask for the vault passphrase/);

    // Typed once on a terminal (`env -u` keeps the answer out of stsvault's environment).
    const typed = spawnSync(python(), [join(REPO, 'test-support', 'pty_answer.py'),
      '--answer', `${PROMPT}=hidden-env:TEST_VAULT_PASSPHRASE`, '--',
      'env', '-u', 'TEST_VAULT_PASSPHRASE', STSVAULT_BIN, 'export', '--no-session', 'alpha'], {
      env: { ...env, TEST_VAULT_PASSPHRASE: PASSPHRASE }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8',
    });
    assert.equal(typed.status, 0, typed.stdout + typed.stderr);
    assert.equal(typed.stdout.split(PROMPT).length - 1, 1, typed.stdout);

    const again = nodeChild(env);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.equal(again.stdout.trim(), user.access_key_id);
    assert.ok(!(again.stdout + again.stderr).includes(PASSPHRASE));

    // A passphrase the program gives still wins (and is not cached).
    const wrong = nodeChild(env, { filePassphrase: 'not the passphrase' });
    assert.equal(wrong.status, 3, wrong.stdout + wrong.stderr);
    assert.match(wrong.stdout, /VaultError: .*passphrase/);
    assert.equal(nodeChild(env).status, 0, 'the cached one is still there');

    const lock = stsvault(env, 'lock');
    assert.equal(lock.status, 0, lock.stderr);
    assert.match(lock.stderr, /^Forgot the cached passphrase of /);
    const locked = nodeChild(env);
    assert.equal(locked.status, 3, locked.stdout + locked.stderr);
    assert.match(locked.stdout, /cannot ask for the vault passphrase/);
  } finally {
    stsvault({ ...process.env }, 'lock');
    sandbox.close();
  }
});
