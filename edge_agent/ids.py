"""The names that become topic levels, entity ids and file names: one rule each, for every part.

The integration keeps its own copy (it is installed alone by HACS): custom_components/bobby_camera
/const.py; tests/ha/test_contract.py checks that both accept and refuse the same names. Every rule
uses `re.fullmatch`: with `re.match` and `$`, a trailing newline would pass.
"""

from __future__ import annotations

import re
from typing import TypeGuard

# 1 to 64 characters of a-z A-Z 0-9 _ -: a topic level, a unique-id part and a file-name part.
CAMERA_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Lower case: a region id becomes a topic level and part of an entity id.
ROI_ID_RE = re.compile(r"[a-z0-9_-]{1,32}")
# A listen_frame instance or a shared-subscription group: a topic level too.
INSTANCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Topic levels separated by '/': none empty, no wildcard, white space or NUL, not a '$' topic.
BASE_TOPIC_RE = re.compile(r"(?!\$)[^/+#\s\x00]+(?:/[^/+#\s\x00]+)*")
BASE_TOPIC_MAX = 128

# The most regions an ROI set may have (docs/mqtt.md, ROI set): each becomes entities in HA.
MAX_ROIS = 32


def valid_camera_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and CAMERA_ID_RE.fullmatch(value) is not None


def valid_roi_id(value: object) -> bool:
    return isinstance(value, str) and ROI_ID_RE.fullmatch(value) is not None


def valid_instance(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and INSTANCE_RE.fullmatch(value) is not None


def valid_base_topic(value: object) -> TypeGuard[str]:
    return (
        isinstance(value, str) and len(value) <= BASE_TOPIC_MAX and BASE_TOPIC_RE.fullmatch(value) is not None
    )


BASE_TOPIC_RULE = (
    "topic levels separated by '/' (at most 128 characters), without '+', '#', white space, "
    "empty levels or a leading '$', such as 'bobby' or 'home/cameras'"
)
CAMERA_ID_RULE = "1 to 64 characters of a-z A-Z 0-9 _ - (it is a topic level)"
INSTANCE_RULE = "1 to 64 characters of a-z A-Z 0-9 _ -"
