"""MFA-backed AWS sessions from stsvault's encrypted vault, in-process.

The keys ``stsvault add`` stored, the sessions it cached and the profiles of ``~/.aws/config``
are all shared with the command::

    import stsvault
    session = stsvault.boto3_session("sls-administrator")   # asks for the MFA code once
    session.client("cloudformation").describe_stacks()

Every call waits on the vault, STS or a prompt without holding the GIL.
"""

from __future__ import annotations

# `import stsvault` is the first thing a boto3 script pays for, so it loads only the native
# module: no dataclasses, typing, inspect or re at run time, and datetime on first use.
import os

from . import _native
from ._native import (
    ConfigError,
    CredentialSourceError,
    Error,
    MfaError,
    StsError,
    VaultError,
)

# Read as true by type checkers only (mypy and pyright treat this name so).
TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime, timedelta
    from typing import Callable, List, Optional, Union

    import boto3

    PathLike = Union[str, "os.PathLike[str]"]
    MfaPrompt = Callable[[str, str], str]
    """Called as ``mfa_prompt(mfa_serial, profile)``; returns the current MFA code."""

__version__: str = _native.__version__

__all__ = [
    "ConfigError",
    "CredentialSourceError",
    "Credentials",
    "Error",
    "MfaError",
    "MfaPrompt",
    "Profile",
    "Config",
    "Provider",
    "Session",
    "StsError",
    "Vault",
    "VaultError",
    "boto3_session",
    "credentials",
    "load_config",
]


def __getattr__(name: str) -> object:
    # The public type aliases, built on first use so that importing the package needs no typing.
    if name in ("MfaPrompt", "PathLike"):
        from typing import Callable, Union

        aliases = {
            "MfaPrompt": Callable[[str, str], str],
            "PathLike": Union[str, "os.PathLike[str]"],
        }
        globals().update(aliases)
        return aliases[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _epoch(seconds: Optional[float]) -> Optional[datetime]:
    if seconds is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class _Record:
    """Base of the small value classes below: fixed fields (slots), equality and hashing by
    field values, no assignment after construction, and a ``repr`` that leaves out the fields
    named in ``_hidden`` (secrets)."""

    __slots__ = ()
    _fields: tuple = ()
    _hidden: frozenset = frozenset()

    def _set(self, **values: object) -> None:
        for name in self._fields:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: cannot assign to {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: cannot delete {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self._fields if name not in self._hidden
        )
        return f"{type(self).__name__}({shown})"


def _seconds(duration: Union[None, float, int, timedelta]) -> Optional[float]:
    if duration is None:
        return None
    if hasattr(duration, "total_seconds"):
        return float(duration.total_seconds())  # type: ignore[union-attr]
    return float(duration)  # type: ignore[arg-type]


class Credentials(_Record):
    """AWS credentials; ``repr`` and ``str`` never show the secret or the session token."""

    __slots__ = _fields = ("access_key_id", "secret_access_key", "session_token", "expiration")
    _hidden = frozenset(("secret_access_key", "session_token"))

    access_key_id: str
    secret_access_key: str
    session_token: Optional[str]
    expiration: Optional[datetime]
    """When the session ends (an aware UTC datetime), ``None`` for long-term keys."""

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: Optional[str] = None,
        expiration: Optional[datetime] = None,
    ) -> None:
        self._set(
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
            expiration=expiration,
        )

    def __str__(self) -> str:
        return repr(self)


class Provider:
    """One profile's credentials, renewed as they near expiry through the shared session
    cache: no new MFA prompt while the cached MFA session lives. Threads may share it; when
    they ask at once, one prompt and one STS call serve them all."""

    def __init__(
        self,
        profile: str,
        *,
        mfa_code: Optional[str] = None,
        mfa_prompt: Optional[MfaPrompt] = None,
        backend: Optional[str] = None,
        config_file: Optional[PathLike] = None,
        file_dir: Optional[PathLike] = None,
        file_passphrase: Optional[str] = None,
        region: Optional[str] = None,
        duration: Union[None, float, int, timedelta] = None,
        no_session: bool = False,
    ) -> None:
        self._native = _native.Provider(
            profile,
            backend=backend,
            file_dir=None if file_dir is None else os.fspath(file_dir),
            file_passphrase=file_passphrase,
            config_file=None if config_file is None else os.fspath(config_file),
            region=region,
            duration_seconds=_seconds(duration),
            no_session=no_session,
            mfa_code=mfa_code,
            mfa_prompt=mfa_prompt,
        )
        self._region_override = region

    @property
    def profile(self) -> str:
        return self._native.profile

    @property
    def region(self) -> Optional[str]:
        """``region=`` if given, else the profile's region."""
        return self._region_override or self._native.region

    def credentials(self) -> Credentials:
        key_id, secret, token, expiration = self._native.credentials()
        return Credentials(key_id, secret, token, _epoch(expiration))

    def __repr__(self) -> str:
        return f"Provider(profile={self.profile!r})"


def credentials(profile: str, **options: object) -> Credentials:
    """The profile's credentials: from the session cache while fresh, else from STS, asking for
    an MFA code (``mfa_code=``, ``mfa_prompt=``, the profile's ``mfa_process``, else the
    terminal). Takes the keyword arguments of :class:`Provider`."""
    return Provider(profile, **options).credentials()  # type: ignore[arg-type]


def boto3_session(profile: str, **options: object) -> "boto3.Session":
    """A ``boto3.Session`` for the profile whose credentials are botocore
    ``RefreshableCredentials`` backed by a :class:`Provider`: boto3 asks again as they near
    expiry, and the cached MFA session answers without a new prompt. Takes the keyword
    arguments of :class:`Provider`. Needs boto3 (``pip install stsvault[boto3]``)."""
    try:
        import boto3
        import botocore.credentials
        import botocore.session
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("stsvault.boto3_session needs boto3: pip install 'stsvault[boto3]'") from e

    from datetime import datetime, timedelta, timezone

    provider = Provider(profile, **options)  # type: ignore[arg-type]

    def fetch() -> dict:
        c = provider.credentials()
        # Long-term keys (no_session) never expire; botocore still wants a time.
        expiry = c.expiration or datetime.now(timezone.utc) + timedelta(days=3650)
        return {
            "access_key": c.access_key_id,
            "secret_key": c.secret_access_key,
            "token": c.session_token,
            "expiry_time": expiry.isoformat(),
        }

    # Fetched now, so a missing key or a wrong MFA code shows here, not at the first call.
    refreshable = botocore.credentials.RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="stsvault"
    )

    class StsvaultCredentialProvider(botocore.credentials.CredentialProvider):
        METHOD = "stsvault"
        CANONICAL_NAME = "stsvault"

        def load(self) -> botocore.credentials.RefreshableCredentials:
            return refreshable

    core = botocore.session.get_session()
    resolver = core.get_component("credential_provider")
    resolver.insert_before("env", StsvaultCredentialProvider())
    return boto3.Session(botocore_session=core, region_name=provider.region)


class Session(_Record):
    """A cached session in the vault."""

    __slots__ = _fields = ("kind", "profile", "mfa_serial", "expiration")

    kind: str
    """The STS call that made it: ``sts.GetSessionToken``, ``sts.AssumeRole``, …"""
    profile: str
    mfa_serial: str
    expiration: datetime

    def __init__(self, kind: str, profile: str, mfa_serial: str, expiration: datetime) -> None:
        self._set(kind=kind, profile=profile, mfa_serial=mfa_serial, expiration=expiration)


class Vault:
    """The stored access keys and cached sessions (the same items ``stsvault`` manages)."""

    def __init__(
        self,
        *,
        backend: Optional[str] = None,
        file_dir: Optional[PathLike] = None,
        file_passphrase: Optional[str] = None,
    ) -> None:
        self._native = _native.Vault(
            backend=backend,
            file_dir=None if file_dir is None else os.fspath(file_dir),
            file_passphrase=file_passphrase,
        )

    @property
    def backend(self) -> str:
        return self._native.backend

    def profiles(self) -> List[str]:
        """Profiles with stored keys."""
        return self._native.profiles()

    def add(self, profile: str, access_key_id: str, secret_access_key: str) -> None:
        """Stores the profile's access key (replacing any before)."""
        self._native.add(profile, access_key_id, secret_access_key)

    def remove(self, profile: str) -> bool:
        """Deletes the profile's keys and its cached sessions; True when it had keys."""
        return self._native.remove(profile)

    def sessions(self) -> List[Session]:
        """The cached sessions."""
        return [Session(k, p, s, _epoch(e)) for k, p, s, e in self._native.sessions()]  # type: ignore[arg-type]

    def clear(self, profile: Optional[str] = None) -> int:
        """Deletes cached sessions (of one profile, or all); returns how many."""
        return self._native.clear(profile)

    def __repr__(self) -> str:
        return f"Vault(backend={self.backend!r})"


class Profile(_Record):
    """A profile's resolved settings."""

    __slots__ = _fields = (
        "name",
        "region",
        "mfa_serial",
        "role_arn",
        "source_profile",
        "role_session_name",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
        "credential_process",
        "session_token_duration",
        "assume_role_duration",
    )

    name: str
    region: Optional[str]
    mfa_serial: Optional[str]
    role_arn: Optional[str]
    source_profile: Optional[str]
    role_session_name: Optional[str]
    sso_start_url: Optional[str]
    sso_account_id: Optional[str]
    sso_role_name: Optional[str]
    credential_process: Optional[str]
    session_token_duration: float
    assume_role_duration: float

    def __init__(
        self,
        name: str,
        region: Optional[str],
        mfa_serial: Optional[str],
        role_arn: Optional[str],
        source_profile: Optional[str],
        role_session_name: Optional[str],
        sso_start_url: Optional[str],
        sso_account_id: Optional[str],
        sso_role_name: Optional[str],
        credential_process: Optional[str],
        session_token_duration: float,
        assume_role_duration: float,
    ) -> None:
        self._set(
            name=name,
            region=region,
            mfa_serial=mfa_serial,
            role_arn=role_arn,
            source_profile=source_profile,
            role_session_name=role_session_name,
            sso_start_url=sso_start_url,
            sso_account_id=sso_account_id,
            sso_role_name=sso_role_name,
            credential_process=credential_process,
            session_token_duration=session_token_duration,
            assume_role_duration=assume_role_duration,
        )


class Config(_Record):
    """The AWS config files."""

    __slots__ = _fields = ("config_path", "credentials_path", "profiles", "_config_file")
    _hidden = frozenset(("_config_file",))

    config_path: str
    credentials_path: str
    profiles: List[str]

    def __init__(
        self,
        config_path: str,
        credentials_path: str,
        profiles: List[str],
        _config_file: Optional[str] = None,
    ) -> None:
        self._set(
            config_path=config_path,
            credentials_path=credentials_path,
            profiles=profiles,
            _config_file=_config_file,
        )

    def __hash__(self) -> int:
        return hash((self.config_path, self.credentials_path, tuple(self.profiles)))

    def profile(self, name: str) -> Profile:
        """``name`` resolved (source_profile, include_profile, [default], environment)."""
        return Profile(**_native.resolve_profile(name, self._config_file))


def load_config(config_file: Optional[PathLike] = None) -> Config:
    """Reads ``~/.aws/config`` (or ``config_file``, or ``$AWS_CONFIG_FILE``) and the shared
    credentials file."""
    path = None if config_file is None else os.fspath(config_file)
    config_path, credentials_path, names = _native.load_config(path)
    return Config(str(config_path), str(credentials_path), list(names), path)
