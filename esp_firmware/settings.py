# config.json (what the user sets, checked once at boot) and state.json (what the camera was
# doing: streaming on/off and the settings changed by command, kept across reboots).

import json
import os

import cam_driver

FPS_MIN = 0.1
FPS_MAX = 20.0


class ConfigError(Exception):
    pass


def _shown(key, v):
    # The value as it was written (shortened), except for secrets.
    if "password" in key:
        return "a hidden value"
    text = json.dumps(v)
    return text if len(text) <= 40 else text[:37] + "..."


def valid_id(s, max_len=64):
    """Camera ids: 1..64 of a-z A-Z 0-9 _ - (a topic level, an HA unique-id part, a file name)."""
    if not isinstance(s, str) or not 1 <= len(s) <= max_len:
        return False
    for c in s:
        if not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c in "_-"):
            return False
    return True


def valid_topic_prefix(s):
    if not isinstance(s, str) or not s or s[0] == "/" or s[-1] == "/":
        return False
    for c in "+#\0":
        if c in s:
            return False
    return True


# The checks below are shared with the commands (config/set): each returns the value to use, or
# raises ValueError with a message that names what is accepted.
def check_fps(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not FPS_MIN <= v <= FPS_MAX:
        raise ValueError("must be a number from %s to %s" % (FPS_MIN, FPS_MAX))
    return float(v)


def check_framesize(v):
    if isinstance(v, str) and v.upper() in cam_driver.FRAMESIZES:
        return v.upper()
    raise ValueError("must be one of " + ", ".join(sorted(cam_driver.FRAMESIZES)))


def check_quality(v):
    if (
        isinstance(v, bool)
        or not isinstance(v, int)
        or not cam_driver.QUALITY_MIN <= v <= cam_driver.QUALITY_MAX
    ):
        raise ValueError(
            "must be a whole number from %d (best) to %d" % (cam_driver.QUALITY_MIN, cam_driver.QUALITY_MAX)
        )
    return v


def _int(lo, hi):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError("must be a whole number from %d to %d" % (lo, hi))
        return v

    return check


def _text(max_len, empty=False):
    def check(v):
        if not isinstance(v, str) or len(v) > max_len or (not empty and not v):
            raise ValueError("must be text of %d to %d characters" % (0 if empty else 1, max_len))
        return v

    return check


def _optional(check):
    def opt(v):
        return None if v is None else check(v)

    return opt


def _bool(v):
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _camera_id(v):
    if not valid_id(v):
        raise ValueError("must be 1 to 64 characters of a-z A-Z 0-9 _ -")
    return v


def _prefix(v):
    if not valid_topic_prefix(v):
        raise ValueError("must be a topic prefix without + # or a leading/trailing /")
    return v


def _pins(v):
    if not isinstance(v, dict):
        raise ValueError('must be an object of pin numbers, e.g. {"d0": 5}')
    for k in v:
        if k not in cam_driver.PIN_KEYS:
            raise ValueError("unknown pin %r (known: %s)" % (k, ", ".join(cam_driver.PIN_KEYS)))
        if isinstance(v[k], bool) or not isinstance(v[k], int) or not -1 <= v[k] <= 48:
            raise ValueError("pin %r must be a GPIO number (-1 for none)" % k)
    return v


REQUIRED = object()

# section -> {key: (check, default)}; "" is the top level.
SCHEMA = {
    "wifi": {
        "ssid": (_text(32), REQUIRED),
        "password": (_text(64, empty=True), REQUIRED),
    },
    "broker": {
        "host": (_text(253), REQUIRED),
        "port": (_int(1, 65535), 1883),
        "user": (_optional(_text(128)), None),
        "password": (_optional(_text(128, empty=True)), None),
        "keepalive": (_int(2, 3600), 30),
    },
    "": {
        "camera_id": (_camera_id, REQUIRED),
        "name": (_optional(_text(64)), None),
        "base_topic": (_prefix, "bobby"),
        "discovery_prefix": (_prefix, "homeassistant"),
        "fps": (check_fps, 2.0),
        "framesize": (check_framesize, "VGA"),
        "quality": (check_quality, 12),
        "streaming": (_bool, True),
        "diagnostics_interval": (_int(5, 3600), 30),
        "ntp_host": (_optional(_text(253)), "pool.ntp.org"),
        "camera_pins": (_pins, None),
    },
}


def _section(raw, name, where):
    out = {}
    schema = SCHEMA[name]
    for key in raw:
        if key not in schema:
            raise ConfigError(
                "%sunknown key %r (known: %s)" % (where and where[:-1] + ": ", key, ", ".join(sorted(schema)))
            )
    for key in schema:
        check, default = schema[key]
        if key not in raw:
            if default is REQUIRED:
                raise ConfigError("%s%s is missing" % (where, key))
            out[key] = default
            continue
        try:
            out[key] = check(raw[key])
        except ValueError as e:
            raise ConfigError("%s%s %s (got %s)" % (where, key, e, _shown(key, raw[key])))
    return out


def parse_config(raw):
    """A checked config dict from the decoded config.json; ConfigError says what is wrong."""
    if not isinstance(raw, dict):
        raise ConfigError("the file must hold one JSON object, { ... }")
    top = {}
    for key in raw:
        if key not in ("wifi", "broker"):
            top[key] = raw[key]
    cfg = _section(top, "", "")
    for name in ("wifi", "broker"):
        if name not in raw:
            raise ConfigError("%s is missing" % name)
        if not isinstance(raw[name], dict):
            raise ConfigError("%s must be an object" % name)
        cfg[name] = _section(raw[name], name, name + ".")
    if cfg["broker"]["password"] is not None and cfg["broker"]["user"] is None:
        raise ConfigError("broker.password is set but broker.user is not")
    if cfg["name"] is None:
        cfg["name"] = cfg["camera_id"]
    return cfg


def load_config(path="config.json"):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("%s not found: copy config.example.json there and fill it in" % path)
    try:
        raw = json.loads(text)
    except ValueError:
        raise ConfigError("%s is not valid JSON (check quotes and commas)" % path)
    try:
        return parse_config(raw)
    except ConfigError as e:
        raise ConfigError("%s: %s" % (path, e))


def load_state(path="state.json"):
    """The saved state, or {} when there is none or it cannot be read (the defaults then apply)."""
    try:
        with open(path) as f:
            state = json.loads(f.read())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(state, path="state.json"):
    # Written only when a command changes something (flash wear), via a temporary file so that a
    # power cut leaves the old state or the new one, not half of one.
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(state))
    try:
        os.rename(tmp, path)
    except OSError:  # FAT does not rename over an existing file
        os.remove(path)
        os.rename(tmp, path)
