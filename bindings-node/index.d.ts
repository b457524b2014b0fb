// Types of the `stsvault` package (the JavaScript layer in index.js over the native addon).

/** Credentials as the AWS SDK for JavaScript v3 takes them (`AwsCredentialIdentity`). */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for session (temporary) credentials. */
  readonly sessionToken?: string;
  /** When temporary credentials stop working. */
  readonly expiration?: Date;
}

/**
 * Answers an MFA prompt with the current code of the device `mfaSerial` (the AWS SDK's
 * `mfaCodeProvider` shape; the profile asking is passed too).
 */
export type MfaCodeProvider = (mfaSerial: string, profile: string) => string | Promise<string>;

/** Where credentials come from; what is left out follows aws-vault's environment variables. */
export interface VaultOptions {
  /** Asks for MFA codes; the terminal (/dev/tty) when absent, or the profile's `mfa_process`. */
  mfaCodeProvider?: MfaCodeProvider;
  /** `file`, `secret-service`, `kwallet`, `keyctl`, `pass`, …; else `AWS_VAULT_BACKEND`. */
  backend?: string;
  /** The AWS config file; else `AWS_CONFIG_FILE`, else `~/.aws/config`. */
  configFile?: string;
  /** The file backend's directory; else `AWS_VAULT_FILE_DIR`, else `~/.awsvault/keys`. */
  fileDir?: string;
  /** The file backend's passphrase; else `AWS_VAULT_FILE_PASSPHRASE`, else the one another stsvault process cached (`STSVAULT_PASSPHRASE_CACHE`), else asked on the terminal. */
  filePassphrase?: string;
  /** The region for STS, over the profile's. */
  region?: string;
  /** Session duration in seconds, over the profile's `duration_seconds`. */
  durationSeconds?: number;
  /** Use the stored keys without a GetSessionToken session. */
  noSession?: boolean;
  /** An MFA code to use instead of asking. */
  mfaCode?: string;
}

/** `fromVault`'s init: a profile (else `AWS_PROFILE`, else `default`) and the vault options. */
export interface FromVaultInit extends VaultOptions {
  profile?: string;
}

/**
 * Credentials for `profile`: the cached session while it lives, else a new one (one MFA prompt).
 * Runs off the JS thread.
 */
export function credentials(profile: string, options?: VaultOptions): Promise<Credentials>;

/**
 * An AWS SDK for JavaScript v3 credential provider (`AwsCredentialIdentityProvider`):
 * `new STSClient({ credentials: fromVault({ profile: 'prod' }) })`.
 */
export function fromVault(init?: FromVaultInit): () => Promise<Credentials>;

/** One profile's provider; `credentials()` is answered from memory, the cache or STS. */
export class VaultProvider {
  constructor(profile: string, options?: VaultOptions);
  readonly profile: string;
  credentials(): Promise<Credentials>;
}

/** Any stsvault error; the message says what happened and what to do. */
export class StsvaultError extends Error {
  /** The class name: `ConfigError`, `VaultError`, `MfaError`, `StsError`, … */
  readonly code: string;
}
/** A problem with ~/.aws/config, ~/.aws/credentials or a profile in them. */
export class ConfigError extends StsvaultError {}
/** A problem opening, reading or writing the vault. */
export class VaultError extends StsvaultError {}
/** No MFA code could be had, or STS rejected the one given. */
export class MfaError extends StsvaultError {}
/** STS (or IAM Identity Center) refused or failed a call. */
export class StsError extends StsvaultError {}
/** A credential_process, web identity token or SSO sign-in failed. */
export class CredentialSourceError extends StsvaultError {}
