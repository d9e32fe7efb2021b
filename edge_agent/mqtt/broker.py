"""Where the broker is and how to log in: `mqtt://user:password@host:port` (`mqtts://` for TLS).

`BrokerSettings` comes from a URL, `$BOBBY_BROKER` or localhost; the password from a file,
the URL or `$BOBBY_BROKER_PASSWORD` (`$BOBBY_MQTT_PASSWORD`, the camera's old name, still works
with a warning). A password never appears in a log line or an error message, and one on the
command line (where `ps` shows it) gets a warning. Every command gets its login the same way:
`edge_agent.settings.broker_settings()` (README, "Broker login").
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

BROKER_ENV = "BOBBY_BROKER"
PASSWORD_ENV = "BOBBY_BROKER_PASSWORD"
# The camera config's old name for the same password: read when PASSWORD_ENV is not set, warned once.
LEGACY_PASSWORD_ENV = "BOBBY_MQTT_PASSWORD"
DEFAULT_BROKER = "mqtt://localhost:1883"


# Query parameters that carry a login in cameras' URLs (snapshot URLs often take one this way:
# `snap.cgi?user=admin&password=…`, `?token=…`); their values are hidden like a URL's password.
SECRET_QUERY_KEYS = (
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "access_token",
    "api_key",
    "key",
    "auth",
    "secret",
)
_URL_LOGIN = re.compile(r"(://[^:/@\s'\"]*):[^\s'\"]*@")
_SECRET_QUERY = re.compile(r"([?&;](?:" + "|".join(SECRET_QUERY_KEYS) + r")=)[^&#\s'\"]*", re.IGNORECASE)


def redact_url(text: str) -> str:
    """`scheme://user:secret@host` -> `scheme://user:***@host`, wherever it appears in `text`,
    and `?password=…`, `&token=…` (SECRET_QUERY_KEYS) -> `=***`: the one redaction of URLs for
    logs, messages and --dry-run (MQTT brokers, IP cameras). The password runs to the URL's last
    `@` (a password with an unencoded `@` or `/` is hidden whole)."""
    return _SECRET_QUERY.sub(r"\1***", _URL_LOGIN.sub(r"\1:***@", str(text)))


def password_on_command_line(url: str | None, argv: list[str] | None = None) -> bool:
    """Whether a broker URL carries a password and is on this process's command line (`ps` shows
    it), rather than handed over in-process (the add-on) or read from a file."""
    if not url:
        return False
    try:
        has_password = bool(urlsplit(url if "://" in url else f"mqtt://{url}").password)
    except ValueError:
        return False
    if argv is None:
        try:
            argv = Path("/proc/self/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            argv = sys.argv
    return has_password and any(url in arg for arg in argv)


def warn_password_on_command_line(
    url: str | None, logger: logging.Logger | None = None, argv: list[str] | None = None
) -> None:
    if password_on_command_line(url, argv):
        (logger or log).warning(
            "the broker password is on the command line (--broker), where every user of this machine "
            "sees it in the process list; use --broker-password-file FILE or $%s instead",
            PASSWORD_ENV,
        )


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The first line of a password file (a trailing newline is not part of the password)."""
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise BrokerURLError(f"broker password file {str(path)!r}: {err.strerror or err}") from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise BrokerURLError(f"broker password file {str(path)!r} is empty")
    return password


_legacy_warned = False


def password_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """$BOBBY_BROKER_PASSWORD, else the deprecated $BOBBY_MQTT_PASSWORD (one warning per process)."""
    global _legacy_warned
    env = os.environ if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if env.get(LEGACY_PASSWORD_ENV):
        if not _legacy_warned:
            _legacy_warned = True
            log.warning(
                "$%s is deprecated: name the broker password $%s (the same for every command)",
                LEGACY_PASSWORD_ENV,
                PASSWORD_ENV,
            )
        return env[LEGACY_PASSWORD_ENV]
    return None


class BrokerURLError(ValueError):
    """A broker URL or password source that is not usable; the message never holds the password."""


@dataclass(frozen=True)
class BrokerSettings:
    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)  # never in a log line
    tls: bool = False
    ca_certs: str | None = None
    insecure: bool = False

    @classmethod
    def from_url(cls, url: str) -> BrokerSettings:
        """Parse `mqtt[s]://[user[:password]@]host[:port]`."""
        shown = redact_url(url)  # error messages end up in logs: never the password
        try:
            parts = urlsplit(url if "://" in url else f"mqtt://{url}")
            hostname = parts.hostname
        except ValueError as err:
            raise BrokerURLError(f"broker URL {shown!r}: {redact_url(str(err))}") from None
        if parts.scheme not in ("mqtt", "mqtts"):
            raise BrokerURLError(f"broker URL {shown!r}: scheme must be mqtt:// or mqtts://")
        if not hostname:
            raise BrokerURLError(f"broker URL {shown!r}: no host")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise BrokerURLError(f"broker URL {shown!r}: the port must be a number from 0 to 65535") from None
        return cls(
            host=hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )

    @classmethod
    def resolve(
        cls, url: str | None, password_file: str | None = None, env: Mapping[str, str] | None = None
    ) -> BrokerSettings:
        """The URL given, else $BOBBY_BROKER, else localhost; the password from the first of
        `password_file`, the URL, $BOBBY_BROKER_PASSWORD (the last two need a user name)."""
        env = os.environ if env is None else env
        settings = cls.from_url(url or env.get(BROKER_ENV) or DEFAULT_BROKER)
        return settings.with_password(password_file, env)

    def with_password(
        self, password_file: str | None = None, env: Mapping[str, str] | None = None
    ) -> BrokerSettings:
        """These settings with the password from `password_file`, else as they are, else the
        environment's $BOBBY_BROKER_PASSWORD (or its deprecated alias). Sources that keep it out
        of the process list."""
        if password_file:
            return dataclasses.replace(self, password=read_password_file(password_file))
        if self.password is None:
            password = password_from_env(env)
            if password:
                return dataclasses.replace(self, password=password)
        return self

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"
