// The package as npm ships it: `stsvault` holds the JavaScript and no addon, one optional
// dependency per platform holds the addon, and native.js picks it. Driven as a user meets it: a
// process on a platform without a prebuilt addon, an install that left the optional dependency
// out, a broken addon, `npm pack` of the package and an install from the packed tarballs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const PREBUILT = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function scratch(t, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `node` with process.platform and process.arch made `platform` and `arch` before any module loads. */
function nodeOn(t, platform, arch, args, options = {}) {
  const preload = join(scratch(t, 'stsvault-platform-'), 'platform.cjs');
  writeFileSync(preload,
    `Object.defineProperty(process, 'platform', { value: ${JSON.stringify(platform)} });\n` +
    `Object.defineProperty(process, 'arch', { value: ${JSON.stringify(arch)} });\n`);
  const run = spawnSync(process.execPath, ['--require', preload, ...args], { encoding: 'utf8', ...options });
  return { ...run, output: run.stdout + run.stderr };
}

/** Requires `dir` (a package directory) and prints what it threw, as JSON. */
const REPORT_ERROR = (dir) => `
try { require(${JSON.stringify(dir)}); console.log(JSON.stringify({ loaded: true })); }
catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, platform: e.platform,
  cause: e.cause && { message: e.cause.message, code: e.cause.code } })); }`;

function npm(args, cwd) {
  const run = spawnSync(NPM, args, { cwd, encoding: 'utf8' });
  assert.equal(run.status, 0, `npm ${args.join(' ')} in ${cwd} failed:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

/**
 * A project that uses stsvault as an installed package, printing what it saw as JSON: the addon
 * that got loaded, the names `import` finds, and the error for a profile that is nowhere.
 */
const CONSUMER = `import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as stsvault from 'stsvault';
import { credentials } from 'stsvault';

const require = createRequire(import.meta.url);
require('stsvault');
const addon = Object.keys(require.cache).find((file) => file.endsWith('.node'));

const dir = join(process.cwd(), 'vault');
mkdirSync(dir);
writeFileSync(join(dir, 'config'), '');
let error;
try {
  await credentials('nowhere', { configFile: join(dir, 'config'), backend: 'file', fileDir: dir, filePassphrase: 'unused' });
} catch (e) {
  error = { name: e.name, code: e.code };
}

console.log(JSON.stringify({
  addon,
  exports: Object.keys(stsvault).filter((name) => name !== 'default').sort(),
  error,
}));
`;

/** The dev builds next to native.js (`napi build --platform`), by platform name. */
function devBuilds() {
  return readdirSync(PKG).filter((f) => /^stsvault\..+\.node$/.test(f)).map((f) => f.slice('stsvault.'.length, -'.node'.length));
}

for (const [platform, arch, name] of [['freebsd', 'x64', 'freebsd-x64'], ['linux', 'riscv64', 'linux-riscv64-gnu']]) {
  test(`requiring stsvault on ${name}, which has no prebuilt addon, fails with what to do and no require stack`, (t) => {
    if (name.startsWith('linux') && process.platform !== 'linux') t.skip('the libc is looked up for real');
    const run = nodeOn(t, platform, arch, ['-e', `require(${JSON.stringify(PKG)})`]);
    assert.notEqual(run.status, 0, run.output);
    assert.match(run.output, new RegExp(`no prebuilt native addon for this platform, ${name}\\.`));
    for (const prebuilt of PREBUILT) assert.ok(run.output.includes(prebuilt), `${prebuilt} not listed:\n${run.output}`);
    assert.match(run.output, /What to do: use the stsvault command instead \(`stsvault exec PROFILE -- node app\.js`/);
    assert.match(run.output, /build the addon from source with a Rust toolchain/);
    assert.doesNotMatch(run.output, /Require stack/);
    assert.doesNotMatch(run.output, /^Error: Cannot find module/m);

    const caught = JSON.parse(nodeOn(t, platform, arch, ['-e', REPORT_ERROR(PKG)]).stdout);
    assert.equal(caught.code, 'STSVAULT_ADDON_UNAVAILABLE');
    assert.equal(caught.platform, name);
    assert.equal(caught.cause.code, 'MODULE_NOT_FOUND');
    assert.match(caught.cause.message, new RegExp(`stsvault\\.${name}\\.node nor the package stsvault-${name} is there`));
  });
}

test('on a supported platform whose optional dependency was left out, the error says to install it again', (t) => {
  if (process.platform === 'win32') t.skip('needs a platform other than the real one');
  const run = nodeOn(t, 'win32', 'x64', ['-e', REPORT_ERROR(PKG)]);
  const caught = JSON.parse(run.stdout);
  assert.equal(caught.platform, 'win32-x64-msvc');
  assert.match(caught.message, /the native addon for this platform, win32-x64-msvc, is not installed: the optional dependency stsvault-win32-x64-msvc is missing/);
  assert.match(caught.message, /--omit=optional/);
  assert.match(caught.message, /What to do: install again with optional dependencies \(`npm i -D stsvault`/);
  assert.doesNotMatch(caught.message, /Require stack/);
});

test('an addon that is there but does not load is reported with the loader error as the cause', (t) => {
  if (process.platform !== 'linux') t.skip('the dlopen message checked is Linux');
  const copy = scratch(t, 'stsvault-broken-');
  for (const f of ['package.json', 'index.js', 'native.js']) cpSync(join(PKG, f), join(copy, f));
  writeFileSync(join(copy, 'stsvault.freebsd-x64.node'), Buffer.alloc(4096));
  const caught = JSON.parse(nodeOn(t, 'freebsd', 'x64', ['-e', REPORT_ERROR(copy)]).stdout);
  assert.match(caught.message, /the native addon for this platform, freebsd-x64, is there but failed to load: .*stsvault\.freebsd-x64\.node: invalid ELF header/);
  assert.match(caught.message, /Prebuilt addons exist for linux-x64-gnu, .* and win32-x64-msvc/);
  assert.equal(caught.cause.code, 'ERR_DLOPEN_FAILED');
  assert.match(caught.cause.message, /invalid ELF header/);
});

/** A copy of the package directory (sources, npm/, no node_modules) with built addons in it. */
function copyWithAddons(t) {
  const copy = scratch(t, 'stsvault-pkg-');
  cpSync(PKG, copy, { recursive: true, filter: (src) => basename(src) !== 'node_modules' && !src.endsWith('.node') });
  writeFileSync(join(copy, 'stsvault.linux-x64-gnu.node'), 'a dev build');
  for (const platform of PREBUILT) writeFileSync(join(copy, 'npm', platform, `stsvault.${platform}.node`), 'an addon');
  return copy;
}

test('npm pack of stsvault ships the JavaScript, the types and the plugin, no addon, and the six platform packages as optional dependencies', (t) => {
  const copy = copyWithAddons(t);
  const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], copy));
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files.filter((f) => f.endsWith('.node')), []);
  for (const f of ['index.js', 'index.d.ts', 'native.js', 'serverless.js', 'serverless.d.ts', 'package.json', 'README.md']) {
    assert.ok(files.includes(f), `${f} missing from ${files}`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith('npm/') || f.startsWith('src/') || f.startsWith('test/')), []);

  const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
  assert.equal(packed.name, 'stsvault');
  assert.deepEqual(manifest.optionalDependencies,
    Object.fromEntries(PREBUILT.map((p) => [`stsvault-${p}`, manifest.version])));
});

test('each platform package ships its addon only, for its os, cpu and libc', (t) => {
  const copy = copyWithAddons(t);
  const main = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
  for (const platform of PREBUILT) {
    const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json'], join(copy, 'npm', platform)));
    assert.equal(packed.name, `stsvault-${platform}`);
    assert.equal(packed.version, main.version);
    // LICENSE is copied in by release/build.sh when it packs (it is not kept in npm/<platform>/).
    const files = packed.files.map((f) => f.path).filter((f) => f !== 'LICENSE').sort();
    assert.deepEqual(files, ['README.md', 'package.json', `stsvault.${platform}.node`]);
    const manifest = JSON.parse(readFileSync(join(PKG, 'npm', platform, 'package.json'), 'utf8'));
    const [os, cpu, libc] = platform.split('-');
    assert.equal(manifest.main, `stsvault.${platform}.node`);
    assert.deepEqual(manifest.os, [os]);
    assert.deepEqual(manifest.cpu, [cpu]);
    assert.deepEqual(manifest.libc, { gnu: ['glibc'], musl: ['musl'] }[libc]);
    assert.deepEqual(manifest.engines, main.engines);
    assert.equal(manifest.license, main.license);
  }
});

test('installed from the packed tarballs into another project, stsvault loads its platform package', (t) => {
  const [platform] = devBuilds();
  if (!platform) t.skip('no dev build (napi build --platform) next to native.js');
  if (!PREBUILT.includes(platform)) t.skip(`no platform package for ${platform}`);
  const work = scratch(t, 'stsvault-install-');
  const platformDir = join(work, platform);
  cpSync(join(PKG, 'npm', platform), platformDir, { recursive: true });
  cpSync(join(PKG, `stsvault.${platform}.node`), join(platformDir, `stsvault.${platform}.node`));
  const tarballs = [PKG, platformDir].map((dir) => join(work, JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], dir))[0].filename));

  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  writeFileSync(join(project, 'main.mjs'), CONSUMER);
  // --offline: the other platforms' packages are optional and skipped; nothing is fetched.
  npm(['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], project);
  const installed = readdirSync(join(project, 'node_modules')).sort();
  assert.deepEqual(installed.filter((n) => n.startsWith('stsvault')), ['stsvault', `stsvault-${platform}`]);
  assert.deepEqual(readdirSync(join(project, 'node_modules', 'stsvault')).filter((f) => f.endsWith('.node')), []);

  const run = spawnSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8', env: { ...process.env, HOME: project } });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    addon: join(project, 'node_modules', `stsvault-${platform}`, `stsvault.${platform}.node`),
    exports: ['ConfigError', 'CredentialSourceError', 'MfaError', 'StsError', 'StsvaultError', 'VaultError', 'VaultProvider', 'credentials', 'fromVault'],
    error: { name: 'ConfigError', code: 'ConfigError' },
  });
});
