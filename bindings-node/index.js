'use strict';
// stsvault for Node: AWS credentials from the vault, turned with an MFA code into short-lived
// STS sessions, in-process. `credentials()` for one-off use, `fromVault()` as an AWS SDK for
// JavaScript v3 credential provider. Everything that waits runs in the native addon off the JS
// thread; see README.md.

const { inspect } = require('node:util');
const native = require('./native.js');

/** Any stsvault error; the message says what happened and what to do. */
class StsvaultError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
    this.code = new.target.name;
  }
}
/** A problem with ~/.aws/config, ~/.aws/credentials or a profile in them. */
class ConfigError extends StsvaultError {}
/** A problem opening, reading or writing the vault. */
class VaultError extends StsvaultError {}
/** No MFA code could be had, or STS rejected the one given. */
class MfaError extends StsvaultError {}
/** STS (or IAM Identity Center) refused or failed a call. */
class StsError extends StsvaultError {}
/** A credential_process, web identity token or SSO sign-in failed. */
class CredentialSourceError extends StsvaultError {}

const ERRORS = { StsvaultError, ConfigError, VaultError, MfaError, StsError, CredentialSourceError };

const OPTION_NAMES = [
  'backend', 'configFile', 'fileDir', 'filePassphrase', 'region', 'durationSeconds', 'noSession',
  'mfaCode',
];

/** The native options of a user's options object (only the names the addon knows). */
function nativeOptions(options) {
  const picked = {};
  for (const name of OPTION_NAMES) {
    if (options[name] !== undefined && options[name] !== null) picked[name] = options[name];
  }
  return picked;
}

const REDACTED = '<redacted>';

/** Credentials as the AWS SDK v3 takes them; printing them shows no secret. */
function toCredentials(answer) {
  const credentials = {
    accessKeyId: answer.accessKeyId,
    secretAccessKey: answer.secretAccessKey,
  };
  if (answer.sessionToken) credentials.sessionToken = answer.sessionToken;
  if (answer.expiration !== undefined && answer.expiration !== null) {
    credentials.expiration = new Date(answer.expiration);
  }
  Object.defineProperty(credentials, inspect.custom, {
    enumerable: false,
    value() {
      const shown = { accessKeyId: this.accessKeyId, secretAccessKey: REDACTED };
      if (this.sessionToken) shown.sessionToken = REDACTED;
      if (this.expiration) shown.expiration = this.expiration;
      return `Credentials ${inspect(shown)}`;
    },
  });
  return credentials;
}

/**
 * One profile's provider: a native provider (memo, shared cache, one prompt and one STS call
 * for any number of concurrent calls) and the JS side of the MFA callback, which keeps the
 * callback's own error to rethrow it unchanged.
 */
class VaultProvider {
  constructor(profile, options = {}) {
    if (typeof profile !== 'string' || profile === '') {
      throw new TypeError('stsvault: a profile name (a non-empty string) is required');
    }
    const { mfaCodeProvider } = options;
    if (mfaCodeProvider !== undefined && mfaCodeProvider !== null && typeof mfaCodeProvider !== 'function') {
      throw new TypeError('stsvault: mfaCodeProvider must be a function (mfaSerial, profile) => code');
    }
    this.profile = profile;
    this.callbackError = undefined;
    const callback = mfaCodeProvider
      ? async (serial, name) => {
          try {
            const code = await mfaCodeProvider(serial, name);
            return code === undefined || code === null ? '' : String(code);
          } catch (error) {
            this.callbackError = error;
            throw error;
          }
        }
      : undefined;
    this.native = new native.Provider(profile, nativeOptions(options), callback);
  }

  /** Fresh credentials, or the matching `StsvaultError` subclass (or the callback's error). */
  async credentials() {
    const answer = await this.native.credentials();
    if (answer.code === undefined) return toCredentials(answer);
    if (answer.code === 'PromptCallbackError' && this.callbackError !== undefined) {
      const error = this.callbackError;
      this.callbackError = undefined;
      throw error;
    }
    const ErrorClass = ERRORS[answer.code] || (answer.code === 'PromptCallbackError' ? MfaError : StsvaultError);
    throw new ErrorClass(answer.message);
  }

  [inspect.custom]() {
    return `VaultProvider { profile: ${inspect(this.profile)} }`;
  }
}

/**
 * Credentials for `profile`: a cached session when one lives, else a new one (asking for the
 * MFA code once). Runs off the JS thread.
 */
function credentials(profile, options = {}) {
  return new VaultProvider(profile, options).credentials();
}

/**
 * An AWS SDK for JavaScript v3 credential provider (`AwsCredentialIdentityProvider`) for a vault
 * profile: `new STSClient({ credentials: fromVault({ profile: 'prod' }) })`. The SDK memoizes
 * what it returns and calls it again near expiry; each call is answered from memory, the shared
 * cache or STS, prompting for MFA only when the MFA session itself has run out.
 */
function fromVault(init = {}) {
  const profile = init.profile || process.env.AWS_PROFILE || 'default';
  let provider;
  return async () => {
    provider ||= new VaultProvider(profile, init);
    return provider.credentials();
  };
}

module.exports = {
  credentials,
  fromVault,
  VaultProvider,
  StsvaultError,
  ConfigError,
  VaultError,
  MfaError,
  StsError,
  CredentialSourceError,
};
