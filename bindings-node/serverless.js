'use strict';
// Serverless Framework v3 plugin (`plugins: [stsvault/serverless]`): the stage's AWS session comes
// from the stsvault vault, in-process, with one MFA prompt; the framework never sees the keys.
//
// How it plugs in (see README.md, "Serverless Framework"):
// - The constructor, which the framework runs when it loads plugins, replaces the AWS provider's
//   credential source (osls: `provider.getAwsSdkV3CredentialsProvider`, which every AWS SDK v3
//   client of the framework and the `${cf:}`, `${s3:}`, `${ssm:}`, `${aws:}` variable sources
//   ask) with a lazy `fromVault` provider. Plugins load before those variables are resolved and
//   before any command runs, so nothing can ask for credentials earlier.
// - The `initialize` hook, the first lifecycle event of every command, fetches the session for
//   commands that talk to AWS, so the MFA prompt comes before the framework's progress output.
//   serverless@3, whose provider hands credentials out synchronously (AWS SDK v2), gets the
//   session there as `provider.cachedCredentials`.

const { fromVault } = require('./index.js');

/** Commands that call AWS: their credentials are fetched in `initialize`. */
const AWS_COMMANDS = new Set([
  'deploy', 'deploy function', 'deploy list', 'deploy list functions', 'info', 'invoke', 'logs',
  'metrics', 'remove', 'rollback', 'rollback function', 'prune',
]);

/** Options of `custom.stsvault` passed on to `fromVault`. */
const VAULT_OPTIONS = ['backend', 'configFile', 'fileDir', 'region', 'durationSeconds'];
/** Every other key of `custom.stsvault` the plugin reads; the rest are stage names. */
const OWN_KEYS = new Set(['profile', 'profiles', 'prefetch', ...VAULT_OPTIONS]);

const SCHEMA = {
  properties: {
    stsvault: {
      anyOf: [
        { type: 'string', description: 'the vault profile for every stage' },
        {
          type: 'object',
          properties: {
            profile: { type: 'string' },
            profiles: { type: 'object', additionalProperties: { type: 'string' } },
            prefetch: { type: 'boolean' },
            backend: { type: 'string' },
            configFile: { type: 'string' },
            fileDir: { type: 'string' },
            region: { type: 'string' },
            durationSeconds: { type: 'number' },
          },
          additionalProperties: { type: 'string' },
        },
      ],
    },
  },
};

class StsvaultServerlessPlugin {
  constructor(serverless, options = {}, utils = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = (utils && utils.log) || { info() {}, notice() {}, warning: console.warn };
    this.providers = new Map();
    if (serverless.configSchemaHandler && serverless.configSchemaHandler.defineCustomProperties) {
      serverless.configSchemaHandler.defineCustomProperties(SCHEMA);
    }
    this.provider = serverless.getProvider && serverless.getProvider('aws');
    this.hooks = {};
    if (!this.provider) return;
    this.replaceCredentialSource();
    this.hooks.initialize = () => this.prefetch();
  }

  /** `custom.stsvault` as an object (a string is the profile of every stage). */
  settings() {
    const custom = (this.serverless.service && this.serverless.service.custom) || {};
    const value = custom.stsvault;
    if (typeof value === 'string') return { profile: value };
    return value && typeof value === 'object' ? value : {};
  }

  /**
   * The vault profile for this run: `--aws-profile`, else the stage's entry in
   * `custom.stsvault` (or its `profiles`), else `custom.stsvault.profile`, else
   * `provider.profile`, else `AWS_PROFILE`. `undefined` leaves the framework's own chain alone.
   */
  profile() {
    const settings = this.settings();
    const stage = this.provider.getStage(); // --stage, provider.stage, else dev
    const byStage = (map) => (map && typeof map[stage] === 'string' ? map[stage] : undefined);
    const stageEntry = OWN_KEYS.has(stage) ? undefined : byStage(settings);
    return (
      this.options['aws-profile'] ||
      byStage(settings.profiles) ||
      stageEntry ||
      settings.profile ||
      (this.serverless.service.provider || {}).profile ||
      process.env.AWS_PROFILE ||
      undefined
    );
  }

  /** One `fromVault` provider per profile, shared by every client of the run. */
  vaultProvider(profile) {
    if (!this.providers.has(profile)) {
      const settings = this.settings();
      const init = { profile };
      for (const name of VAULT_OPTIONS) {
        if (settings[name] !== undefined) init[name] = settings[name];
      }
      this.log.info(`stsvault: AWS credentials of profile "${profile}" come from the vault`);
      this.providers.set(profile, fromVault(init));
    }
    return this.providers.get(profile);
  }

  /** Puts the vault provider where the framework's AWS clients get their credentials. */
  replaceCredentialSource() {
    const provider = this.provider;
    if (typeof provider.getAwsSdkV3CredentialsProvider !== 'function') return;
    const original = provider.getAwsSdkV3CredentialsProvider.bind(provider);
    provider.getAwsSdkV3CredentialsProvider = (options = {}) => {
      const profile = this.profile();
      // A client asking for another profile by name gets what it asked for.
      if (!profile || (options.profile && options.profile !== profile)) return original(options);
      return this.vaultProvider(profile);
    };
  }

  /** Fetches the session before a command that calls AWS starts (one MFA prompt, if any). */
  async prefetch() {
    const profile = this.profile();
    if (!profile) {
      this.log.info('stsvault: no profile for this stage; the framework finds credentials itself');
      return;
    }
    const command = ((this.serverless.processedInput || {}).commands || []).join(' ');
    const wanted = this.settings().prefetch !== false && AWS_COMMANDS.has(command);
    const legacy = typeof this.provider.getAwsSdkV3CredentialsProvider !== 'function';
    if (!wanted && !legacy) return;
    const credentials = await this.vaultProvider(profile)();
    if (legacy) {
      // serverless@3: its AWS SDK v2 requests read `provider.cachedCredentials` synchronously.
      this.provider.cachedCredentials = {
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
        },
      };
    }
  }
}

module.exports = StsvaultServerlessPlugin;
