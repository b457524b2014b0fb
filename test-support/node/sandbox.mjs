// A sandbox for Node test suites: an empty HOME with an AWS config file and a file vault, and
// this process's environment pointing only at them and at the emulator (native code reads the
// same environment). Keys go into the vault through the real `stsvault add`.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `stsvault` command built by `make` (STSVAULT_BIN, else the cargo target dir's), found
 * before any sandbox changes HOME. */
export const STSVAULT_BIN =
  process.env.STSVAULT_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(process.env.HOME || '', '.cache', 'stsvault', 'target'), 'debug', 'stsvault');

/** The file vault's passphrase in every sandbox. */
export const PASSPHRASE = 'correct horse battery staple';

export class Sandbox {
  /** A fresh HOME; the environment is set for `emulator` until `close()`. */
  constructor(emulator) {
    this.home = mkdtempSync(join(tmpdir(), 'stsvault-node-'));
    this.configPath = join(this.home, '.aws', 'config');
    this.credentialsPath = join(this.home, '.aws', 'credentials');
    this.vaultDir = join(this.home, '.awsvault', 'keys');
    mkdirSync(join(this.home, '.aws'), { recursive: true });
    writeFileSync(this.configPath, '');
    writeFileSync(this.credentialsPath, '');
    this.saved = { ...process.env };
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('AWS_')) delete process.env[name];
    }
    Object.assign(process.env, this.env(emulator));
  }

  /** The variables a sandbox sets. */
  env(emulator) {
    return {
      HOME: this.home,
      AWS_CONFIG_FILE: this.configPath,
      AWS_SHARED_CREDENTIALS_FILE: this.credentialsPath,
      AWS_VAULT_BACKEND: 'file',
      AWS_VAULT_FILE_DIR: this.vaultDir,
      AWS_VAULT_FILE_PASSPHRASE: PASSPHRASE,
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  /** Replaces ~/.aws/config. */
  writeConfig(text) {
    writeFileSync(this.configPath, text);
  }

  /** Stores `user`'s keys in the vault as `profile`, with `stsvault add --env`. */
  addKeys(profile, user) {
    const out = spawnSync(STSVAULT_BIN, ['add', '--env', profile], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: user.access_key_id, AWS_SECRET_ACCESS_KEY: user.secret_access_key },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (out.status !== 0) throw new Error(`stsvault add ${profile} failed: ${out.error || out.stderr}`);
  }

  /** Restores the environment and removes the sandbox. */
  close() {
    for (const name of Object.keys(process.env)) {
      if (!(name in this.saved)) delete process.env[name];
    }
    Object.assign(process.env, this.saved);
    rmSync(this.home, { recursive: true, force: true });
  }
}
