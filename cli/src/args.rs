//! Command-line arguments, named and spelled as aws-vault's so scripts keep working.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// A vault for securely storing and accessing AWS credentials in development environments.
#[derive(Debug, Parser)]
#[command(name = "stsvault", version, about, long_about = None)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct Global {
    /// Show debugging output (never secrets).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Secret backend to use: keychain (macOS), wincred (Windows), secret-service, kwallet,
    /// keyctl, pass, file. Default: the platform's keyring (the Secret Service when the
    /// session bus offers one), else file.
    #[arg(long, global = true, env = "AWS_VAULT_BACKEND")]
    pub backend: Option<String>,
    /// Prompt driver to use (terminal, zenity, kdialog, osascript, ykman; wincredui on Windows).
    #[arg(long, global = true, env = "AWS_VAULT_PROMPT")]
    pub prompt: Option<String>,
    /// Directory for the "file" backend [default: ~/.awsvault/keys/].
    #[arg(long, global = true, env = "AWS_VAULT_FILE_DIR")]
    pub file_dir: Option<PathBuf>,
    /// How long the "file" backend's passphrase stays cached for your other stsvault
    /// processes without being used (e.g. 10m, 30s; 0 turns the cache off); it is forgotten
    /// 2 hours after it was typed in any case, and at once by `stsvault lock` [default: 10m].
    #[arg(
        long,
        global = true,
        env = "STSVAULT_PASSPHRASE_CACHE",
        value_name = "DURATION"
    )]
    pub passphrase_cache: Option<String>,
    /// Name of the macOS keychain to use; created if it does not exist [default: aws-vault].
    #[arg(long, global = true, env = "AWS_VAULT_KEYCHAIN_NAME")]
    pub keychain: Option<String>,
    /// Name of the Secret Service collection to use; created if it does not exist
    /// [default: awsvault].
    #[arg(long, global = true, env = "AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME")]
    pub secret_service_collection: Option<String>,
    /// Pass password store directory [default: $PASSWORD_STORE_DIR or ~/.password-store].
    #[arg(long, global = true, env = "AWS_VAULT_PASS_PASSWORD_STORE_DIR")]
    pub pass_dir: Option<PathBuf>,
    /// Name of the pass executable [default: pass].
    #[arg(long, global = true, env = "AWS_VAULT_PASS_CMD")]
    pub pass_cmd: Option<String>,
    /// Prefix to prepend to the item path stored in pass.
    #[arg(long, global = true, env = "AWS_VAULT_PASS_PREFIX")]
    pub pass_prefix: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add credentials to the secure keystore.
    ///
    /// Example: `stsvault add sls-administrator` prompts for the access key id and secret.
    Add(AddArgs),
    /// List profiles, along with their credentials and sessions.
    ///
    /// Example: `stsvault list`, or `stsvault list --profiles` for the names only.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Execute a command with AWS credentials.
    ///
    /// Example: `stsvault exec sls-administrator -- sls deploy --verbose -s prod`
    Exec(ExecArgs),
    /// Export AWS credentials.
    ///
    /// Examples: `eval "$(stsvault export --format export-env prod)"`; in ~/.aws/config,
    /// `credential_process = stsvault export --format json prod`.
    Export(ExportArgs),
    /// Generate a login link for the AWS Console.
    ///
    /// Example: `stsvault login --stdout prod` prints the link; without `--stdout` it opens in
    /// the browser (`$BROWSER` or the desktop's opener).
    Login(LoginArgs),
    /// Print a shell completion script (bash, zsh or fish).
    ///
    /// Example: `stsvault completion bash > /etc/bash_completion.d/stsvault`, or in ~/.zshrc
    /// `eval "$(stsvault completion zsh)"`.
    Completion(CompletionArgs),
    /// Rotate credentials: create a new access key, check it works, store it, delete the old.
    ///
    /// Example: `stsvault rotate sls-administrator` (asks for an MFA code for the session that
    /// signs the IAM calls; `--no-session` signs them with the stored keys).
    Rotate(RotateArgs),
    /// Remove credentials (and their cached sessions) from the secure keystore.
    ///
    /// Example: `stsvault remove --force old-profile`
    #[command(alias = "rm")]
    Remove(RemoveArgs),
    /// Clear temporary credentials (cached sessions) from the secure keystore.
    ///
    /// Example: `stsvault clear sls-administrator`, or `stsvault clear` for every profile.
    Clear(ClearArgs),
    /// Migrate stored credentials from one backend to another.
    ///
    /// Each profile's keys are written to the destination, read back and compared, and only
    /// then (with --delete-source) removed from the source, so a run that stops half-way loses
    /// nothing; run it again to finish. Cached sessions and SSO tokens are not moved.
    ///
    /// Example: `stsvault migrate-backend --from file --to secret-service --dry-run`, then
    /// without `--dry-run` and with `--delete-source`.
    MigrateBackend(MigrateBackendArgs),
    /// Forget the "file" backend's cached passphrase now, so the next command asks for it.
    ///
    /// Example: `stsvault lock` before you leave your desk. Otherwise a typed passphrase is
    /// forgotten after 10 minutes without use (--passphrase-cache) and 2 hours at most.
    Lock(LockArgs),
    /// Start a proxy for the EC2 instance metadata server locally (run as root; `exec
    /// --ec2-server` starts it itself).
    #[command(alias = "server", hide = true)]
    Proxy(ProxyArgs),
}

impl Command {
    /// The command's name, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Add(_) => "add",
            Command::List(_) => "list",
            Command::Exec(_) => "exec",
            Command::Export(_) => "export",
            Command::Rotate(_) => "rotate",
            Command::Login(_) => "login",
            Command::Completion(_) => "completion",
            Command::Proxy(_) => "proxy",
            Command::Remove(_) => "remove",
            Command::Clear(_) => "clear",
            Command::MigrateBackend(_) => "migrate-backend",
            Command::Lock(_) => "lock",
        }
    }
}

/// `add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name of the profile.
    pub profile: String,
    /// Read the credentials from the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #[arg(long)]
    pub env: bool,
    /// Add a profile to ~/.aws/config if one doesn't exist.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub add_config: bool,
    /// Don't add a profile to ~/.aws/config.
    #[arg(long = "no-add-config", overrides_with = "add_config")]
    pub no_add_config: bool,
}

/// `lock`: no options of its own (the global `--file-dir` selects the vault).
#[derive(Debug, Args)]
pub struct LockArgs {}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show only the profile names.
    #[arg(long)]
    pub profiles: bool,
    /// Show only the session names.
    #[arg(long)]
    pub sessions: bool,
    /// Show only the profiles with stored credentials.
    #[arg(long)]
    pub credentials: bool,
}

/// How to obtain a profile's session: the options `exec` and `export` share.
#[derive(Debug, Clone, Default, Args)]
pub struct SessionArgs {
    /// Duration of the temporary or assume-role session (e.g. 1h, 30m, 2d). Defaults to 1h
    /// [env: AWS_VAULT_DURATION].
    #[arg(short = 'd', long)]
    pub duration: Option<String>,
    /// Skip creating an STS session with GetSessionToken.
    #[arg(short = 'n', long)]
    pub no_session: bool,
    /// The AWS region.
    #[arg(long)]
    pub region: Option<String>,
    /// The MFA token to use.
    #[arg(short = 't', long)]
    pub mfa_token: Option<String>,
    /// Print the SSO link to the terminal without automatically opening the browser
    /// [env: AWS_VAULT_STDOUT].
    #[arg(long, overrides_with = "no_stdout")]
    pub stdout: bool,
    /// Undo --stdout (or AWS_VAULT_STDOUT=true).
    #[arg(long, hide = true, overrides_with = "stdout")]
    pub no_stdout: bool,
    /// Neither read nor write cached sessions (not a flag: set by `rotate`).
    #[arg(skip)]
    pub no_cache: bool,
    /// The session is for the console: no GetSessionToken on the profile itself (not a flag:
    /// set by `login`).
    #[arg(skip)]
    pub console: bool,
}

/// `exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    /// Output credentials in JSON that can be used by credential_process.
    #[arg(short = 'j', long, conflicts_with = "cmd")]
    pub json: bool,
    /// Alias for --ecs-server.
    #[arg(short = 's', long, conflicts_with_all = ["json", "no_session"])]
    pub server: bool,
    /// Serve credentials to the command from a local ECS credential server (the SDKs renew
    /// them from it as they expire) instead of putting keys in its environment.
    #[arg(long, conflicts_with_all = ["json", "no_session"])]
    pub ecs_server: bool,
    /// Serve credentials to the command from a local EC2 instance metadata server on
    /// 127.0.0.1:9099 (IMDSv2), named in AWS_EC2_METADATA_SERVICE_ENDPOINT, and on
    /// 169.254.169.254:80 through `stsvault proxy` (started as root, with sudo if need be).
    #[arg(long, conflicts_with_all = ["json", "no_session", "server", "ecs_server"])]
    pub ec2_server: bool,
    /// Where --ec2-server listens (127.0.0.1 only).
    #[arg(
        long,
        env = "STSVAULT_EC2_SERVER_ADDR",
        default_value = stsvault::server::EC2_SERVER_ADDR,
        hide = true
    )]
    pub ec2_server_addr: std::net::SocketAddr,
    /// With --ecs-server, fetch credentials only when the command first asks for them.
    #[arg(short = 'l', long)]
    pub lazy: bool,
    /// Set AWS_PROFILE for the command instead of putting keys in its environment, once the
    /// profile's credentials are known to work (MFA is asked for first); the command's AWS SDK
    /// then reads the profile from ~/.aws/config itself. Not with the credential servers
    /// [env: AWS_VAULT_PROFILE_ENV].
    #[arg(long, overrides_with = "no_profile_env")]
    pub profile_env: bool,
    /// Undo --profile-env (or AWS_VAULT_PROFILE_ENV=true).
    #[arg(long, hide = true, overrides_with = "profile_env")]
    pub no_profile_env: bool,
    /// Name of the profile.
    pub profile: String,
    /// Command to execute, defaults to $SHELL.
    pub cmd: Option<String>,
    /// Command arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    /// Format to output credentials.
    #[arg(long, default_value = "env", value_parser = stsvault::export::ExportFormat::NAMES)]
    pub format: String,
    /// Name of the profile.
    pub profile: String,
}

/// `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    /// The AWS service you would like access to (e.g. `cloudformation/home`).
    #[arg(long)]
    pub path: Option<String>,
    /// Print the login URL to stdout instead of opening the browser (aws-vault's `-s`).
    #[arg(short = 's', hide = true)]
    pub stdout_short: bool,
    /// Sign the browser out of its current console session first: the link goes through the
    /// console's sign-out page, which then signs in with this one (commercial partition only;
    /// not with the console's multi-session mode) [env: AWS_VAULT_AUTO_LOGOUT].
    #[arg(short = 'a', long, overrides_with = "no_auto_logout")]
    pub auto_logout: bool,
    /// Undo --auto-logout (or AWS_VAULT_AUTO_LOGOUT=true).
    #[arg(long, hide = true, overrides_with = "auto_logout")]
    pub no_auto_logout: bool,
    /// Name of the profile. If none is given, the keys in AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) are used.
    pub profile: Option<String>,
}

/// `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Use the master credentials directly instead of a session (as aws-vault's `-n`).
    #[arg(short = 'n', long)]
    pub no_session: bool,
    /// Name of the profile.
    pub profile: String,
}

/// `remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Name of the profile.
    pub profile: String,
    /// Only remove sessions, leave credentials intact.
    #[arg(short = 's', long)]
    pub sessions_only: bool,
    /// Remove without asking.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// `clear`.
#[derive(Debug, Args)]
pub struct ClearArgs {
    /// Name of the profile; every profile's sessions when omitted.
    pub profile: Option<String>,
}

/// `migrate-backend`.
#[derive(Debug, Args)]
pub struct MigrateBackendArgs {
    /// The backend to take the credentials from (file, secret-service, kwallet, keyctl, pass;
    /// keychain on macOS, wincred on Windows). The other global flags configure both backends
    /// as usual; --backend / AWS_VAULT_BACKEND is not used.
    #[arg(long = "from", value_name = "BACKEND")]
    pub from_backend: String,
    /// The backend to put them in.
    #[arg(long = "to", value_name = "BACKEND")]
    pub to_backend: String,
    /// Migrate only this profile's credentials.
    #[arg(long)]
    pub profile: Option<String>,
    /// List what would be migrated; write and delete nothing (no secret is read either).
    #[arg(long)]
    pub dry_run: bool,
    /// Replace credentials the destination already holds for a profile (without it they are
    /// kept, and the source keeps its copy too unless the two are identical).
    #[arg(long)]
    pub overwrite: bool,
    /// Remove each profile's credentials from the source once their copy in the destination
    /// has been read back and found identical.
    #[arg(long)]
    pub delete_source: bool,
}

/// `proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Stop the proxy.
    #[arg(long)]
    pub stop: bool,
    /// The metadata server to forward to.
    #[arg(long, default_value = stsvault::server::EC2_SERVER_ADDR, hide = true)]
    pub upstream: std::net::SocketAddr,
}
