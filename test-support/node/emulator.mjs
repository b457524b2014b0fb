// The local AWS emulator (moto behind stsvault's MFA-checking guard) for Node test suites: the
// same `python -m stsvault_emulator` the Python suites start, driven through its command line,
// so users, TOTP codes and the call log have one implementation.
//
//   const emu = await Emulator.start(dir);
//   const user = emu.setupUser('deployer', { role: 'admin' });
//   emu.calls({ service: 'sts', action: 'GetSessionToken' });
//   await emu.stop();

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository's root. */
export const REPO = resolve(here, '..', '..');
const PACKAGE_ROOT = join(REPO, 'test-support', 'emulator');

/** The Python with the emulator's requirements (`make` exports STSVAULT_PYTHON). */
export function python() {
  return process.env.STSVAULT_PYTHON || join(REPO, '.venv', 'bin', 'python');
}

/** The environment of an emulator command: ours plus PYTHONPATH reaching the package. */
function emulatorEnv() {
  const paths = [PACKAGE_ROOT, process.env.PYTHONPATH].filter(Boolean);
  return { ...process.env, PYTHONPATH: paths.join(':') };
}

/** Runs `python -m stsvault_emulator ARGS` to completion and returns its stdout. */
export function emulatorCommand(...args) {
  const out = spawnSync(python(), ['-m', 'stsvault_emulator', ...args], {
    env: emulatorEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (out.status !== 0) {
    throw new Error(`stsvault_emulator ${args[0]} failed (${out.status}): ${out.stderr}`);
  }
  return out.stdout;
}

/** The TOTP code of `seed` at `offset` seconds from now. */
export function totp(seed, offset = 0) {
  return emulatorCommand('totp', '--seed', seed, '--offset', String(offset)).trim();
}

/** The current code, taken early enough in its 30-second step that it stays valid. */
export async function currentCode(seed) {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < 3) await sleep(left * 1000 + 100);
  return totp(seed);
}

/** A six-digit code that matches none of the steps the emulator accepts now. */
export function wrongCode(seed) {
  const valid = new Set([-30, 0, 30].map((o) => totp(seed, o)));
  for (let n = 1; ; n += 1) {
    const candidate = String((Number(totp(seed)) + n * 7919) % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/** A running emulator: its endpoint, users, call log. */
export class Emulator {
  constructor(child, endpoint, logPath) {
    this.child = child;
    this.endpoint = endpoint;
    this.logPath = logPath;
  }

  /** Starts an emulator writing its log and stderr into `dir`; it exits with this process. */
  static async start(dir) {
    mkdirSync(dir, { recursive: true });
    const logPath = join(dir, 'emulator-calls.jsonl');
    const readyFile = join(dir, 'emulator-ready.json');
    const stderr = openSync(join(dir, 'emulator-stderr.log'), 'a');
    const args = ['-m', 'stsvault_emulator', 'serve', '--port', '0', '--log', logPath,
      '--ready-file', readyFile, '--parent-pid', String(process.pid)];
    const child = spawn(python(), args, { env: emulatorEnv(), stdio: ['ignore', 'ignore', stderr] });
    closeSync(stderr);
    let exited = null;
    child.on('exit', (code) => { exited = code; });
    const deadline = Date.now() + 60_000;
    while (!existsSync(readyFile)) {
      if (exited !== null) throw new Error(`emulator exited with ${exited} before it was ready`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('emulator not ready after 60 s');
      }
      await sleep(50);
    }
    const { endpoint } = JSON.parse(readFileSync(readyFile, 'utf8'));
    return new Emulator(child, endpoint, logPath);
  }

  /** An IAM user with keys, an enabled virtual MFA device and, with `role`, an MFA-guarded role. */
  setupUser(user, { role } = {}) {
    const args = ['setup-user', '--endpoint', this.endpoint, '--user', user];
    if (role) args.push('--role', role);
    return JSON.parse(emulatorCommand(...args));
  }

  /** Logged calls whose fields equal every entry of `match`, from the `since`-th call on
   * (a count `mark()` returned earlier). */
  calls(match = {}, since = 0) {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .slice(since)
      .map((line) => JSON.parse(line))
      .filter((call) => Object.entries(match).every(([k, v]) => call[k] === v));
  }

  /** How many calls are logged so far: `calls(match, mark)` then sees only later ones. */
  mark() {
    return this.calls().length;
  }

  /** Stops the emulator (SIGTERM, then SIGKILL) and returns its exit code. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}
