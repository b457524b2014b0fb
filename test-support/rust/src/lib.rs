//! Shared helpers for stsvault's Rust test suites: the local AWS emulator (moto behind our
//! TOTP-checking guard, `test-support/emulator/`), IAM users with virtual MFA devices, TOTP
//! codes, sandboxed homes for running the `stsvault` binary, and the pseudo-terminal driver.
//! The Python and Node suites use the same emulator and scripts.
//!
//! It builds on Unix and Windows. What Windows lacks is left out there: the pseudo-terminal
//! driver ([`Sandbox::pty_command`]) and the keyring services ([`services`]).

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
pub mod keyring;
#[cfg(unix)]
pub mod services;

/// The repository root: the nearest directory at or above the running test's package (cargo
/// and nextest set `CARGO_MANIFEST_DIR` when they run a test), else above the working
/// directory, that holds the workspace's `Cargo.lock` and `test-support/`.
///
/// Found at run time, not baked in with `env!`: the shared target directory reuses this crate's
/// build across checkouts of the repository, and a path compiled into it would name whichever
/// checkout built it first.
pub fn repo_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    let start = start.canonicalize().unwrap_or(start);
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file() && dir.join("test-support").is_dir())
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// The Python with the emulator's requirements: `$STSVAULT_PYTHON`, else the repo's `.venv`
/// (`.venv/bin/python`; `.venv\Scripts\python.exe` on Windows), else `python3` (`python` on
/// Windows).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("STSVAULT_PYTHON")
        .map(PathBuf::from)
        .filter(|p| p.exists())
    {
        return p;
    }
    let (venv, fallback) = if cfg!(windows) {
        (".venv/Scripts/python.exe", "python")
    } else {
        (".venv/bin/python", "python3")
    };
    let venv = repo_root().join(venv);
    if venv.exists() {
        venv
    } else {
        PathBuf::from(fallback)
    }
}

/// A command that does nothing and succeeds, for `stsvault exec PROFILE -- …`: `true`; on
/// Windows, which has no `true`, `cmd /d /c rem`.
pub const TRUE_COMMAND: &[&str] = if cfg!(windows) {
    &["cmd", "/d", "/c", "rem"]
} else {
    &["true"]
};

/// `python -m stsvault_emulator …` with the package on the path.
pub fn emulator_command() -> Command {
    let mut cmd = Command::new(python());
    cmd.env("PYTHONPATH", repo_root().join("test-support/emulator"))
        .arg("-m")
        .arg("stsvault_emulator");
    cmd
}

fn run_json<T: for<'de> Deserialize<'de>>(mut cmd: Command) -> T {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .expect("run the emulator tool");
    assert!(
        out.status.success(),
        "emulator tool failed: {:?}",
        out.status
    );
    serde_json::from_slice(&out.stdout).expect("emulator tool printed JSON")
}

/// A running emulator; stopped when dropped.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// An IAM user created in the emulator with an access key and an enabled virtual MFA device.
#[derive(Debug, Clone, Deserialize)]
pub struct IamUser {
    /// User name.
    pub user: String,
    /// The account the user is in.
    pub account_id: String,
    /// The user's access key id.
    pub access_key_id: String,
    /// The user's secret access key.
    pub secret_access_key: String,
    /// The virtual MFA device's serial (ARN).
    pub mfa_serial: String,
    /// The device's TOTP seed, base32.
    pub seed: String,
    /// A role the user may assume with MFA, when asked for ([`Emulator::setup_user_with_role`]).
    #[serde(default)]
    pub role_arn: Option<String>,
}

/// One request the emulator saw.
#[derive(Debug, Clone, Deserialize)]
pub struct Call {
    /// `sts`, `iam`, `s3`, `cloudformation`…
    pub service: Option<String>,
    /// `GetSessionToken`, `AssumeRole`, … (REST calls: method and path).
    pub action: Option<String>,
    /// Request parameters, secrets removed.
    #[serde(default)]
    pub params: serde_json::Value,
    /// The access key id that signed the request.
    pub access_key_id: Option<String>,
    /// HTTP status.
    pub status: Option<u16>,
    /// AWS error code, if the call failed.
    pub error_code: Option<String>,
    /// The access key id of credentials the call issued (GetSessionToken, AssumeRole).
    pub issued_access_key_id: Option<String>,
}

impl Call {
    /// True for an STS call with this action.
    pub fn is_sts(&self, action: &str) -> bool {
        self.service.as_deref() == Some("sts") && self.action.as_deref() == Some(action)
    }

    /// A request parameter as a string.
    pub fn param(&self, name: &str) -> Option<String> {
        match self.params.get(name)? {
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

impl Emulator {
    /// Starts an emulator on a free port of 127.0.0.1.
    pub fn start() -> Emulator {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("calls.jsonl");
        let ready = dir.path().join("ready.json");
        let child = emulator_command()
            .arg("serve")
            .args(["--port", "0", "--log"])
            .arg(&log)
            .arg("--ready-file")
            .arg(&ready)
            .args(["--parent-pid", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the emulator (is the venv installed? run `make deps`)");
        let deadline = Instant::now() + Duration::from_secs(90);
        let endpoint = loop {
            let endpoint = std::fs::read_to_string(&ready)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .and_then(|v| {
                    v.get("endpoint")
                        .and_then(|e| e.as_str())
                        .map(str::to_string)
                });
            if let Some(e) = endpoint {
                break e;
            }
            assert!(
                Instant::now() < deadline,
                "the emulator did not start within 90 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        Emulator {
            child,
            endpoint,
            log,
            _dir: dir,
        }
    }

    /// Creates an IAM user with an access key and an enabled virtual MFA device.
    pub fn setup_user(&self, user: &str) -> IamUser {
        let mut cmd = emulator_command();
        cmd.args(["setup-user", "--endpoint", &self.endpoint, "--user", user]);
        run_json(cmd)
    }

    /// Like [`Emulator::setup_user`], plus a role `role` (AdministratorAccess) that the user's
    /// account may assume only with MFA.
    pub fn setup_user_with_role(&self, user: &str, role: &str) -> IamUser {
        let mut cmd = emulator_command();
        cmd.args([
            "setup-user",
            "--endpoint",
            &self.endpoint,
            "--user",
            user,
            "--role",
            role,
        ]);
        run_json(cmd)
    }

    /// Makes the next `count` calls of `action` fail with the STS error `code` (HTTP
    /// `status`), as real STS does for ExpiredToken, Throttling… which moto never produces.
    pub fn inject_fault(&self, action: &str, code: &str, status: u16, count: u32) {
        self.inject_fault_after(action, code, status, count, 0);
    }

    /// Like [`Emulator::inject_fault`], letting the first `skip` calls of `action` through.
    pub fn inject_fault_after(&self, action: &str, code: &str, status: u16, count: u32, skip: u32) {
        use std::io::{Read, Write};
        let body = serde_json::json!({
            "action": action, "code": code, "message": format!("injected {code}"),
            "status": status, "count": count, "skip": skip,
        })
        .to_string();
        let addr = self.endpoint.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(addr).expect("connect to the emulator");
        write!(
            conn,
            "POST /_stsvault/faults HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send the fault");
        let mut answer = String::new();
        let _ = conn.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 204"),
            "fault not accepted: {answer}"
        );
    }

    /// Every request the emulator has logged so far.
    pub fn calls(&self) -> Vec<Call> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("log line is JSON"))
            .collect()
    }

    /// The STS calls with this action.
    pub fn sts_calls(&self, action: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.is_sts(action))
            .collect()
    }

    /// The log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        stop_child(&mut self.child, Duration::from_secs(10));
    }
}

/// Sends SIGTERM to `pid`.
#[cfg(unix)]
pub(crate) fn terminate(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
}

/// Ends process `pid` and every process it started. Windows has no SIGTERM to ask with, and a
/// venv's `python.exe` is a launcher that runs the real interpreter as its child, which killing
/// the launcher alone would leave running: `taskkill /T /F` ends the whole tree.
#[cfg(windows)]
pub(crate) fn terminate(pid: u32) {
    let _ = Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops `child`: SIGTERM for a clean stop (on Windows, the end of its process tree), `grace`
/// to exit, then SIGKILL; always reaped.
pub(crate) fn stop_child(child: &mut Child, grace: Duration) {
    terminate(child.id());
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `cmd` with `input` on its stdin (then closed) and returns what it printed and how it
/// ended; stdout and stderr are captured.
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {:?}: {e}", cmd.get_program()));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("writing the child's stdin");
    }
    child.wait_with_output().expect("waiting for the child")
}

/// Asserts that a command succeeded, showing its output when it did not.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The TOTP code of `seed` at now + `offset_secs` (30 = the next code).
pub fn totp(seed: &str, offset_secs: i64) -> String {
    let out = emulator_command()
        .args(["totp", "--seed", seed, "--offset", &offset_secs.to_string()])
        .output()
        .expect("run the totp tool");
    assert!(out.status.success(), "totp tool failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Three different codes of `seed` (the previous, current and next 30-second step) that the
/// emulator, which accepts one step either side, takes for at least the next 10 seconds: when
/// the current step is about to end, this first waits for the next one.
pub fn three_valid_codes(seed: &str) -> [String; 3] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let left = 30 - now % 30;
    if left < 12 {
        std::thread::sleep(Duration::from_secs(left + 1));
    }
    [totp(seed, -30), totp(seed, 0), totp(seed, 30)]
}

/// A throwaway home for running `stsvault`: its own `~/.aws/config`, credentials file and file
/// vault, pointed at an emulator. Nothing of the real user's environment leaks in.
pub struct Sandbox {
    dir: tempfile::TempDir,
    /// The file vault's passphrase.
    pub passphrase: String,
    endpoint: Option<String>,
    env: Vec<(String, String)>,
}

impl Sandbox {
    /// A new sandbox talking to `emulator` (or to no endpoint at all).
    pub fn new(emulator: Option<&Emulator>) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join(".aws")).expect("mkdir .aws");
        Sandbox {
            dir,
            passphrase: "correct horse battery staple".to_string(),
            endpoint: emulator.map(|e| e.endpoint.clone()),
            env: Vec::new(),
        }
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `~/.aws/config`.
    pub fn config_path(&self) -> PathBuf {
        self.home().join(".aws/config")
    }

    /// The file vault's directory.
    pub fn vault_dir(&self) -> PathBuf {
        self.home().join(".awsvault/keys")
    }

    /// Replaces `~/.aws/config`.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// A command with a clean environment: only PATH, the sandbox's HOME and AWS files, the
    /// file backend with its passphrase in `AWS_VAULT_FILE_PASSPHRASE`, and the endpoint — on
    /// Windows also `USERPROFILE` (the sandbox's home too) and the system's own variables that
    /// programs there cannot start without. It has no terminal to prompt on.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("AWS_CONFIG_FILE", self.config_path())
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home().join(".aws/credentials"),
            )
            .env("AWS_VAULT_BACKEND", "file")
            .env("AWS_VAULT_FILE_DIR", self.vault_dir())
            .env("AWS_VAULT_FILE_PASSPHRASE", &self.passphrase)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        // A new session without a controlling terminal, so a prompt can never block on the
        // developer's terminal: only `pty_command` provides one.
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
            unsafe {
                cmd.pre_exec(|| {
                    libc::setsid();
                    Ok(())
                });
            }
        }
        #[cfg(windows)]
        {
            use std::os::windows::process::CommandExt;
            // USERPROFILE is where Windows programs look for the home: stsvault (as aws-vault),
            // and Python's expanduser for botocore and the AWS CLI. SystemRoot and its kin:
            // Python cannot seed its random numbers or open a socket without them.
            cmd.env("USERPROFILE", self.home());
            for var in ["SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT"] {
                if let Some(value) = std::env::var_os(var) {
                    cmd.env(var, value);
                }
            }
            // No console at all (the terminal's counterpart: the console is what a prompt
            // opens, as CONIN$), so a prompt can never wait on the developer's console.
            const DETACHED_PROCESS: u32 = 0x0000_0008;
            cmd.creation_flags(DETACHED_PROCESS);
        }
        if let Some(e) = &self.endpoint {
            cmd.env("AWS_ENDPOINT_URL", e);
        }
        for (k, v) in &self.env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        cmd
    }

    /// Sets `key=value` for every command of this sandbox (after the defaults, so it can
    /// override `AWS_VAULT_BACKEND` and the like); an empty value removes the variable.
    pub fn set_env(&mut self, key: &str, value: impl Into<String>) {
        self.env.push((key.to_string(), value.into()));
    }

    /// `BIN add PROFILE --env` with `user`'s keys in the environment; asserts it succeeded.
    pub fn add_keys(&self, bin: &str, profile: &str, user: &IamUser) -> Output {
        let out = self
            .command(bin)
            .args(["add", profile, "--env"])
            .env("AWS_ACCESS_KEY_ID", &user.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key)
            .output()
            .expect("run stsvault add");
        assert_success(&out);
        out
    }

    /// Like [`Sandbox::command`], but run in a real pseudo-terminal by
    /// `test-support/pty_answer.py`, answering prompts: each `(regex, source)` pair types the
    /// source (`env:NAME`, `hidden-env:NAME` for secrets typed with echo off, `totp:NAME`) when the regex appears. Put the secrets the sources name
    /// into the returned command's environment. Unix only: Windows has no pseudo-terminals
    /// that Python's `pty` drives.
    #[cfg(unix)]
    pub fn pty_command(
        &self,
        answers: &[(&str, &str)],
        program: impl AsRef<std::ffi::OsStr>,
    ) -> Command {
        let mut cmd = self.command(python());
        cmd.arg(repo_root().join("test-support/pty_answer.py"));
        for (pattern, source) in answers {
            cmd.arg("--answer").arg(format!("{pattern}={source}"));
        }
        cmd.arg("--").arg(program);
        cmd
    }
}

/// A Python program for `exec` to run: prints who it is (STS GetCallerIdentity through boto3)
/// and which credentials it got, as one `WHOAMI {json}` line; read it with [`whoami`].
pub const WHOAMI_PY: &str = r#"
import json, os, boto3
ident = boto3.client("sts").get_caller_identity()
print("WHOAMI " + json.dumps({"arn": ident["Arn"], "key": os.environ.get("AWS_ACCESS_KEY_ID"),
  "token": bool(os.environ.get("AWS_SESSION_TOKEN")), "exp": os.environ.get("AWS_CREDENTIAL_EXPIRATION"),
  "vault": os.environ.get("AWS_VAULT"), "region": os.environ.get("AWS_REGION")}))
"#;

/// The JSON of the `WHOAMI` line that [`WHOAMI_PY`] printed.
pub fn whoami(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("WHOAMI "))
        .unwrap_or_else(|| panic!("no WHOAMI line in {text}"));
    serde_json::from_str(line).expect("WHOAMI JSON")
}

impl Sandbox {
    /// A sandbox on `emulator` whose `[profile NAME]` has `user`'s MFA device, takes its codes
    /// from `mfa_process` (the emulator's TOTP tool, so no terminal is needed) and uses
    /// `region`, followed by `extra` config; the vault holds `user`'s keys under `profile`.
    pub fn with_mfa_process_profile(
        emulator: &Emulator,
        bin: &str,
        profile: &str,
        user: &IamUser,
        region: &str,
        extra: &str,
    ) -> Sandbox {
        let mut sandbox = Sandbox::new(Some(emulator));
        sandbox.write_mfa_process_profile(profile, user, region, extra);
        sandbox.add_keys(bin, profile, user);
        sandbox
    }

    /// A fresh emulator, its IAM user `profile` with a virtual MFA device, and a sandbox with
    /// [`Sandbox::with_mfa_process_profile`]'s profile for that user in `region`.
    pub fn mfa_process_world(
        bin: &str,
        profile: &str,
        region: &str,
    ) -> (Emulator, IamUser, Sandbox) {
        let emulator = Emulator::start();
        let user = emulator.setup_user(profile);
        let sandbox = Sandbox::with_mfa_process_profile(&emulator, bin, profile, &user, region, "");
        (emulator, user, sandbox)
    }

    /// Writes the config of [`Sandbox::with_mfa_process_profile`] (and the `PYTHONPATH` its
    /// `mfa_process` needs) without storing any keys.
    pub fn write_mfa_process_profile(
        &mut self,
        profile: &str,
        user: &IamUser,
        region: &str,
        extra: &str,
    ) {
        self.set_env(
            "PYTHONPATH",
            repo_root()
                .join("test-support/emulator")
                .display()
                .to_string(),
        );
        self.write_config(&format!(
            "[profile {profile}]\nmfa_serial = {serial}\nregion = {region}\n\
             mfa_process = {python} -m stsvault_emulator totp --seed {seed}\n{extra}",
            serial = user.mfa_serial,
            python = python().display(),
            seed = user.seed,
        ));
    }
}

/// What a stand-in browser does with the IAM Identity Center sign-in page it is opened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserAction {
    /// Approve the request, as a user clicking "Allow".
    Approve,
    /// Deny it.
    Deny,
}

impl Sandbox {
    /// Writes a stand-in browser that loads the page it is given, approving or denying the
    /// sign-in, and appends the URL to [`Sandbox::browser_log`]; returns the `$BROWSER` value
    /// that runs it: a shell script's path, or on Windows `PYTHON SCRIPT.py` (a script there
    /// cannot be run by its path; neither path may hold a space, as `$BROWSER` splits words).
    pub fn write_browser(&self, action: BrowserAction) -> String {
        let suffix = match action {
            BrowserAction::Approve => "",
            BrowserAction::Deny => "&action=deny",
        };
        #[cfg(unix)]
        {
            let path = self.home().join("browser");
            let script = format!(
                "#!/bin/sh\necho \"$1\" >> '{log}'\nexec '{python}' -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + \"{suffix}\", timeout=10)' \"$1\"\n",
                log = self.browser_log().display(),
                python = python().display(),
            );
            std::fs::write(&path, script).expect("write browser script");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod browser script");
            path.display().to_string()
        }
        #[cfg(windows)]
        {
            let path = self.home().join("browser.py");
            let script = format!(
                "import sys, urllib.request\nwith open({log:?}, \"a\", encoding=\"utf-8\") as log:\n    log.write(sys.argv[1] + \"\\n\")\nurllib.request.urlopen(sys.argv[1] + {suffix:?}, timeout=10)\n",
                log = self.browser_log().display().to_string(),
            );
            std::fs::write(&path, script).expect("write browser script");
            format!("{} {}", python().display(), path.display())
        }
    }

    /// The URLs the stand-in browser was opened on, one per line.
    pub fn browser_log(&self) -> PathBuf {
        self.home().join("browser.log")
    }

    /// How many times the stand-in browser was opened.
    pub fn browser_opened(&self) -> usize {
        std::fs::read_to_string(self.browser_log())
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

/// What a leak scan looks for: the byte strings that betray `secret` in a file, an output or a
/// dump — the secret itself, and the middle of its standard and URL-safe base64 encodings at
/// each of the three byte alignments, so it is found inside any larger base64 text too (an
/// item's `Data`, a JWT, a basic-auth header). Base64 forms are left out for secrets too short
/// for them to be specific.
pub fn secret_forms(secret: &str) -> Vec<Vec<u8>> {
    const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    fn encode(bytes: &[u8], alphabet: &[u8; 64]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() * 4 / 3 + 4);
        for chunk in bytes.chunks(3) {
            let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
            let n = (b(0) << 16) | (b(1) << 8) | b(2);
            for i in 0..=chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize]);
            }
        }
        out
    }
    let mut forms = vec![secret.as_bytes().to_vec()];
    for alphabet in [STANDARD, URL_SAFE] {
        for shift in 0..3 {
            let mut shifted = vec![0u8; shift];
            shifted.extend_from_slice(secret.as_bytes());
            let encoded = encode(&shifted, alphabet);
            // Characters that mix in the bytes before or after the secret differ by context.
            let skip = [0, 2, 3][shift];
            if encoded.len() >= skip + 3 + 12 {
                forms.push(encoded[skip..encoded.len() - 3].to_vec());
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// True when `haystack` holds `secret` in one of its [`secret_forms`].
pub fn contains_secret(haystack: &[u8], secret: &str) -> bool {
    secret_forms(secret)
        .iter()
        .any(|form| !form.is_empty() && haystack.windows(form.len()).any(|w| w == form.as_slice()))
}

/// Every regular file under `root` (recursively; symbolic links are not followed), sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(entry.path()),
                Ok(t) if t.is_file() => files.push(entry.path()),
                _ => {}
            }
        }
    }
    files.sort();
    files
}

/// The files under `root` that hold `secret` in one of its [`secret_forms`].
pub fn files_containing(root: &Path, secret: &str) -> Vec<PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|f| std::fs::read(f).is_ok_and(|bytes| contains_secret(&bytes, secret)))
        .collect()
}
