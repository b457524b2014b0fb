'use strict';
// Finds and loads stsvault's native addon (napi-rs) for the running platform.
//
// The published `stsvault` package carries no addon: each supported platform has its own package,
// `stsvault-<platform>`, listed in `optionalDependencies`, and npm installs only the one whose
// `os`, `cpu` and `libc` match. A build from this directory (`napi build --platform`, as the
// repository's own tests use) writes `stsvault.<platform>.node` next to this file, which wins.
// When neither loads, the error says which platform this is, which ones have prebuilt addons and
// what to do, with the underlying failure as its `cause`.

const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** The platforms with a prebuilt addon in a `stsvault-<platform>` package (napi-rs names). */
const PREBUILT = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
];

/**
 * Whether this Linux process runs on musl libc. ldd's own text names its C library and costs one
 * small read; when it says neither, the process report is asked (a glibc build of Node reports
 * the glibc it runs on, a musl build reports none). The presence of /lib/ld-musl-* proves
 * nothing: glibc systems with the musl package installed have it too.
 */
function isMusl() {
  try {
    const ldd = readFileSync('/usr/bin/ldd', 'latin1');
    if (ldd.includes('musl')) return true;
    if (ldd.includes('GNU C Library') || ldd.includes('GLIBC')) return false;
  } catch {
    // no ldd (a slim container): ask the process report
  }
  try {
    const report = process.report;
    const excluded = report.excludeNetwork;
    if (excluded !== undefined) report.excludeNetwork = true; // the slow part, not needed here
    try {
      return !report.getReport().header.glibcVersionRuntime;
    } finally {
      if (excluded !== undefined) report.excludeNetwork = excluded;
    }
  } catch {
    return false;
  }
}

/** napi-rs's name for a platform: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, `freebsd-x64`… */
function platformName(platform, arch) {
  if (platform === 'linux') {
    const libc = isMusl() ? 'musl' : 'gnu';
    return arch === 'arm' ? `linux-arm-${libc}eabihf` : `linux-${arch}-${libc}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/**
 * A load error fit to show: Node's "Cannot find module" messages end in a "Require stack" list
 * of the files that asked, which tells the user nothing; keep the first line.
 */
function shown(error) {
  const message = String(error && error.message !== undefined ? error.message : error);
  const cut = message.indexOf('\nRequire stack:');
  if (cut === -1) return error;
  const trimmed = new Error(message.slice(0, cut));
  if (error.code !== undefined) trimmed.code = error.code;
  return trimmed;
}

function listed(names) {
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The addon for `platform`; else throws an error a user can act on. */
function load(platform) {
  const packageName = `stsvault-${platform}`;
  const devBuild = join(__dirname, `stsvault.${platform}.node`);
  let failure; // the first real load failure (a dlopen error, a broken package), if any

  if (existsSync(devBuild)) {
    try {
      return require(devBuild);
    } catch (error) {
      failure = { error, from: devBuild };
    }
  }

  let installed = false;
  try {
    require.resolve(`${packageName}/package.json`);
    installed = true;
  } catch {
    // not installed: said below
  }
  if (installed) {
    try {
      return require(packageName);
    } catch (error) {
      failure ||= { error, from: `the package ${packageName}` };
    }
  }

  const supported = PREBUILT.includes(platform);
  const lines = [];
  if (failure) {
    const reason = shown(failure.error).message;
    const where = reason.includes(failure.from) ? '' : ` (${failure.from})`;
    lines.push(
      `stsvault: the native addon for this platform, ${platform}, is there but failed to load${where}: ${reason}`,
      `Prebuilt addons exist for ${listed(PREBUILT)}, each in the package stsvault-<platform>.`,
      supported
        ? `What to do: reinstall it (delete node_modules/${packageName}, then run \`npm install\` again); ` +
            'if it still fails, the stsvault command works without the addon ' +
            '(`stsvault exec PROFILE -- node app.js` gives the program the session in its environment).'
        : `What to do: rebuild stsvault.${platform}.node from source for this Node ` +
            '(`npx napi build --platform --release --no-js --dts native.d.ts` in stsvault\'s bindings-node/ directory, with a Rust toolchain), ' +
            'or use the stsvault command (`stsvault exec PROFILE -- node app.js`).',
    );
  } else if (supported) {
    lines.push(
      `stsvault: the native addon for this platform, ${platform}, is not installed: ` +
        `the optional dependency ${packageName} is missing.`,
      `Prebuilt addons exist for ${listed(PREBUILT)}, each in the package stsvault-<platform> ` +
        'that npm installs as an optional dependency on its own platform only.',
      'npm leaves optional dependencies out when it runs with --no-optional or --omit=optional ' +
        '(or omit=optional in .npmrc), and can miss them when package-lock.json was written on another platform.',
      `What to do: install again with optional dependencies (\`npm i -D stsvault\`; if ${packageName} still ` +
        'does not appear in node_modules, delete node_modules and package-lock.json and install again), ' +
        `and check that node_modules/${packageName} exists.`,
    );
  } else {
    lines.push(
      `stsvault: there is no prebuilt native addon for this platform, ${platform}.`,
      `Prebuilt addons exist for ${listed(PREBUILT)}, each in the package stsvault-<platform> ` +
        'that npm installs as an optional dependency on its own platform only.',
      'What to do: use the stsvault command instead (`stsvault exec PROFILE -- node app.js` gives the ' +
        'program the session in its environment), or build the addon from source with a Rust toolchain ' +
        '(`npx napi build --platform --release --no-js --dts native.d.ts` in stsvault\'s bindings-node/ directory) and put the ' +
        `stsvault.${platform}.node it writes in ${__dirname}.`,
    );
  }
  if (existsSync(join(__dirname, 'Cargo.toml'))) {
    lines.push(
      'In a checkout of stsvault, build the addon here: `make node-addon` at the top, or ' +
        '`npx napi build --platform --no-js --dts native.d.ts` in bindings-node/.',
    );
  }
  let cause;
  if (failure) {
    cause = shown(failure.error);
  } else {
    cause = new Error(`neither ${devBuild} nor the package ${packageName} is there`);
    cause.code = 'MODULE_NOT_FOUND';
    cause.stack = `Error: ${cause.message}`; // where it was made says nothing
  }
  const error = new Error(lines.join('\n'), { cause });
  error.code = 'STSVAULT_ADDON_UNAVAILABLE';
  error.platform = platform;
  throw error;
}

module.exports = load(platformName(process.platform, process.arch));
