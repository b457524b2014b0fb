#!/usr/bin/env bash
# Starts KDE's kwalletd5 headless on an already running private D-Bus session bus and leaves a
# wallet open on it without showing any dialog, for automated tests of the kwallet backend.
#
# The caller provides (all required unless a default is given):
#   DBUS_SESSION_BUS_ADDRESS  the private session bus (e.g. from `dbus-run-session`)
#   HOME                      a throwaway home; kwalletd5 keeps its config and wallets under it
#   XDG_CONFIG_HOME           default $HOME/.config       (kwalletrc is written here)
#   XDG_DATA_HOME             default $HOME/.local/share  (wallets go to $XDG_DATA_HOME/kwalletd/)
#   XDG_RUNTIME_DIR           default $HOME/.runtime (created 0700) if unset
# Optional:
#   KWALLET_WALLET            wallet name, default aws-vault
#   KWALLET_APPID             application id allowed in without asking, default aws-vault
#   KWALLET_PASSWORD          wallet password, default empty. With the empty password the wallet
#                             is "passwordless": after close(wallet, force) a later
#                             open(wallet, 0, appid) reopens it silently. With a non-empty one the
#                             wallet is encrypted with it and a reopen after close needs the
#                             password dialog, which headless never answers (the locked case).
#                             Never printed. (Its PBKDF2 hash is passed to kwalletd5 in the
#                             argv of one short dbus-send: use throwaway passwords only.)
#   KWALLET_NO_OPEN=1         start kwalletd5 only; create/open no wallet (open() will then
#                             block on the invisible "create a new wallet" dialog)
#   KWALLET_SECRET_SERVICE=1  let kwalletd5 also own org.freedesktop.secrets (its Secret Service
#                             API, on by default in KF5 >= 5.97). Default 0: disabled in
#                             kwalletrc, so it does not take the name from gnome-keyring.
#   KWALLETD_LOG              kwalletd5's stdout/stderr, default $HOME/kwalletd5.log
#   KWALLETD_START_TIMEOUT    seconds to wait for the daemon and the wallet, default 20
#   KWALLETD_WATCH_BUS=0      do not start the watcher. By default a small background loop
#                             checks the bus every second and stops kwalletd5 once the bus is
#                             gone, because kwalletd5 keeps running after its bus exits (e.g.
#                             when dbus-run-session ends) and would otherwise be leaked.
#
#   KWALLET_ALLOW_REAL_HOME=1 skip the guard that refuses HOME/XDG_CONFIG_HOME/XDG_DATA_HOME
#                             inside the user's real home directory
#
# An existing $XDG_CONFIG_HOME/kwalletrc is left as it is (a note goes to stderr).
#
# Output: progress notes on stderr; on success the only stdout line is kwalletd5's PID, and the
# script exits 0 with kwalletd5 still running (the caller stops it: kill PID). On any failure it
# prints why on stderr, stops the kwalletd5 it started, and exits 1 (2 for usage errors).
#
# Example:
#   dbus-run-session -- bash -c '
#     export HOME=$(mktemp -d)
#     export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share
#     pid=$(test-support/kwallet/start-kwalletd.sh) || exit 1
#     busctl --user call org.kde.kwalletd5 /modules/kwalletd5 org.kde.KWallet \
#       open sxs aws-vault 0 aws-vault          # -> i <handle>, no dialog
#     kill "$pid"'

set -u
set -o pipefail

die() { echo "start-kwalletd: $*" >&2; exit 1; }
note() { echo "start-kwalletd: $*" >&2; }

SERVICE=org.kde.kwalletd5
OBJ=/modules/kwalletd5
IFACE=org.kde.KWallet

# --- prerequisites ----------------------------------------------------------------------------
missing=()
command -v kwalletd5 >/dev/null 2>&1 || missing+=("kwalletd5 (Debian package libkf5wallet-bin)")
command -v dbus-send >/dev/null 2>&1 || missing+=("dbus-send (Debian package dbus-bin)")
if ! command -v python3 >/dev/null 2>&1 && ! command -v openssl >/dev/null 2>&1; then
    missing+=("python3 or openssl (to derive the wallet key)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    for m in "${missing[@]}"; do echo "start-kwalletd: missing: $m" >&2; done
    die "install them first, e.g. apt-get install -y --no-install-recommends libkf5wallet-bin dbus-bin python3"
fi
qtplug=""
for d in /usr/lib/*/qt5/plugins/platforms /usr/lib/qt5/plugins/platforms; do
    [ -e "$d/libqoffscreen.so" ] && qtplug=$d
done
[ -n "$qtplug" ] || note "warning: Qt's offscreen platform plugin (libqoffscreen.so, package libqt5gui5) was not found; kwalletd5 may fail to start"

[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "start-kwalletd: DBUS_SESSION_BUS_ADDRESS is not set (run inside dbus-run-session or start a private bus first)" >&2; exit 2; }
[ -n "${HOME:-}" ] && [ -d "$HOME" ] || { echo "start-kwalletd: HOME is not set or not a directory" >&2; exit 2; }
if [ "$HOME" = "$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)" ] && [ "${KWALLET_ALLOW_REAL_HOME:-0}" != 1 ]; then
    echo "start-kwalletd: HOME is the real home of $(id -un); give a throwaway HOME (or set KWALLET_ALLOW_REAL_HOME=1)" >&2
    exit 2
fi

export XDG_CONFIG_HOME="${XDG_CONFIG_HOME:-$HOME/.config}"
export XDG_DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
realhome=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)
if [ -n "$realhome" ] && [ "${KWALLET_ALLOW_REAL_HOME:-0}" != 1 ]; then
    for d in "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"; do
        case "$d/" in
            "$realhome"/.*) [ "$HOME" = "$realhome" ] || {
                echo "start-kwalletd: $d lies in the real home $realhome while HOME=$HOME; point XDG_CONFIG_HOME/XDG_DATA_HOME into the throwaway HOME (note: \`export HOME=x XDG_CONFIG_HOME=\$HOME/...\` on one line still uses the old HOME)" >&2
                exit 2; } ;;
        esac
    done
fi
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    export XDG_RUNTIME_DIR="$HOME/.runtime"
    mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi
WALLET="${KWALLET_WALLET:-aws-vault}"
APPID="${KWALLET_APPID:-aws-vault}"
LOG="${KWALLETD_LOG:-$HOME/kwalletd5.log}"
TIMEOUT="${KWALLETD_START_TIMEOUT:-20}"
WALLET_DIR="$XDG_DATA_HOME/kwalletd"   # kwalletd5 strips the "5" from its data dir on purpose

bus() { # bus TIMEOUT_MS ARGS...: one method call with a reply, printed by dbus-send
    local ms=$1; shift
    timeout $(( ms / 1000 + 5 )) dbus-send --session --print-reply --reply-timeout="$ms" "$@" 2>&1
}
has_owner() {
    bus 2000 --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner "string:$1" \
        | grep -q 'boolean true'
}

bus 3000 --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null \
    || die "cannot reach the session bus at DBUS_SESSION_BUS_ADDRESS"
has_owner "$SERVICE" && die "$SERVICE is already on this bus; stop that kwalletd5 first"

# --- configuration ----------------------------------------------------------------------------
mkdir -p "$XDG_CONFIG_HOME" "$WALLET_DIR" || die "cannot create $XDG_CONFIG_HOME or $WALLET_DIR"
chmod 700 "$WALLET_DIR"
RC="$XDG_CONFIG_HOME/kwalletrc"
if [ -e "$RC" ]; then
    note "keeping the existing $RC"
else
    secrets=false
    [ "${KWALLET_SECRET_SERVICE:-0}" = 1 ] && secrets=true
    # First Use=false: no first-use wizard logic. Prompt on Open=false (also the default) plus
    # [Auto Allow]: an already open wallet is handed to APPID without the "allow access?" dialog.
    # Close When Idle/on Screensaver=false, Leave Open=true: the wallet stays open between calls.
    cat >"$RC" <<EOF
[Wallet]
Enabled=true
First Use=false
Default Wallet=$WALLET
Local Wallet=$WALLET
Use One Wallet=true
Prompt on Open=false
Close When Idle=false
Close on Screensaver=false
Leave Open=true
Launch Manager=false

[Auto Allow]
$WALLET=$APPID

[org.freedesktop.secrets]
apiEnabled=$secrets
EOF
fi

# --- start the daemon -------------------------------------------------------------------------
start=$(date +%s%N)
# Own stdin/stdout/stderr so a caller reading our stdout sees EOF when this script exits.
env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen \
    kwalletd5 </dev/null >>"$LOG" 2>&1 &
PID=$!
fail() { # stop what we started, show the log tail, exit 1
    kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
    echo "start-kwalletd: $*" >&2
    if [ -s "$LOG" ]; then echo "start-kwalletd: last lines of $LOG:" >&2; tail -n 20 "$LOG" >&2; fi
    exit 1
}
trap 'fail "interrupted"' INT TERM

deadline=$(( $(date +%s) + TIMEOUT ))
until has_owner "$SERVICE"; do
    kill -0 "$PID" 2>/dev/null || { wait "$PID"; fail "kwalletd5 exited (status $?) before taking $SERVICE"; }
    [ "$(date +%s)" -lt "$deadline" ] || fail "$SERVICE did not appear on the bus within ${TIMEOUT}s"
    sleep 0.05
done
note "$SERVICE is on the bus after $(( ($(date +%s%N) - start) / 1000000 )) ms (pid $PID)"

call() { bus "${CALL_MS:-10000}" --dest="$SERVICE" "$OBJ" "$IFACE.$1" "${@:2}"; }
is_open_wallet() { call isOpen "string:$WALLET" | grep -q 'boolean true'; }

# --- create/open the wallet without a dialog --------------------------------------------------
if [ "${KWALLET_NO_OPEN:-0}" != 1 ]; then
    if ! is_open_wallet; then
        # pamOpen(s wallet, ay passwordHash, i sessionTimeout), as pam_kwallet uses it: creates the
        # wallet if needed and opens it with a pre-hashed key, no dialog. The key is
        # PBKDF2-HMAC-SHA512(password, <wallet>.salt, 50000 rounds, 56 bytes), the same key
        # kwalletd derives from a typed password, so the password "" makes a wallet that
        # open() later reopens silently. pamOpen is a no-reply method: success shows as isOpen.
        SALT="$WALLET_DIR/$WALLET.salt"
        if [ ! -s "$SALT" ]; then
            ( umask 077; head -c 56 /dev/urandom >"$SALT" ) || fail "cannot write $SALT"
        fi
        KEY=""
        if command -v python3 >/dev/null 2>&1; then
            KEY=$(KWALLET_PASSWORD="${KWALLET_PASSWORD:-}" python3 -c '
import hashlib, os, sys
salt = open(sys.argv[1], "rb").read()
key = hashlib.pbkdf2_hmac("sha512", os.environ["KWALLET_PASSWORD"].encode(), salt, 50000, 56)
print(",".join(str(b) for b in key))' "$SALT" 2>/dev/null) || KEY=""
        fi
        if [ -z "$KEY" ] && command -v openssl >/dev/null 2>&1; then
            hexsalt=$(od -An -tx1 -v "$SALT" | tr -d ' \n')
            hexpass=$(printf '%s' "${KWALLET_PASSWORD:-}" | od -An -tx1 -v | tr -d ' \n')
            KEY=$(openssl kdf -keylen 56 -kdfopt digest:SHA512 -kdfopt "hexpass:$hexpass" \
                    -kdfopt "hexsalt:$hexsalt" -kdfopt iter:50000 PBKDF2 2>/dev/null \
                  | tr ':' '\n' | while read -r h; do [ -n "$h" ] && printf '%d,' "0x$h"; done)
            KEY=${KEY%,}
        fi
        [ "$(printf '%s' "$KEY" | tr ',' '\n' | grep -c .)" = 56 ] \
            || fail "could not derive the wallet key (needs a working python3, or openssl 3 with 'openssl kdf')"
        timeout 10 dbus-send --session --type=method_call --dest="$SERVICE" "$OBJ" "$IFACE.pamOpen" \
            "string:$WALLET" "array:byte:$KEY" int32:0 >/dev/null 2>&1
        KEY=""
        until is_open_wallet; do
            kill -0 "$PID" 2>/dev/null || fail "kwalletd5 exited while opening the wallet"
            [ "$(date +%s)" -lt "$deadline" ] \
                || fail "wallet '$WALLET' did not open (wrong KWALLET_PASSWORD for an existing wallet?)"
            sleep 0.05
        done
    fi
    # Check that the application gets in without a dialog: open(s, x, s) -> i handle. It only
    # finds the already open wallet, so it answers at once; 10 s means a dialog is in the way.
    reply=$(CALL_MS=10000 call open "string:$WALLET" int64:0 "string:$APPID")
    handle=$(printf '%s\n' "$reply" | awk '/int32/ {print $2}')
    case "$handle" in
        ''|-*) fail "open($WALLET, 0, $APPID) did not give a handle: $(printf '%s' "$reply" | tail -n 1)" ;;
    esac
    # Give that session back (the wallet stays open: Leave Open=true); close(i, b, s) -> i, 1 = left open.
    call close "int32:$handle" boolean:false "string:$APPID" >/dev/null
    is_open_wallet || fail "wallet '$WALLET' closed unexpectedly"
    note "wallet '$WALLET' is open; open($WALLET, 0, $APPID) answers without a dialog ($(( ($(date +%s%N) - start) / 1000000 )) ms in all)"
fi

if [ "${KWALLETD_WATCH_BUS:-1}" = 1 ]; then
    # Own stdio again, so the caller's pipe closes; it ends by itself once kwalletd5 is gone.
    (
        trap '' HUP
        misses=0
        while kill -0 "$PID" 2>/dev/null; do
            if timeout 5 dbus-send --session --print-reply --reply-timeout=3000 \
                   --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1; then
                misses=0
            else
                misses=$((misses + 1))
                if [ "$misses" -ge 2 ]; then kill "$PID" 2>/dev/null; break; fi
            fi
            sleep 1
        done
    ) </dev/null >/dev/null 2>&1 &
fi

trap - INT TERM
echo "$PID"
exit 0
