"""HA's media browser: "Bobby Camera" -> camera -> day (HA's time zone) -> visit, newest first.

Identifiers (after `media-source://bobby_camera/`):
- `<cam>`: the camera's days that have visits;
- `<cam>/<YYYY-MM-DD>` and `<cam>/<YYYY-MM-DD>/<page>`: a day's visits, PAGE_SIZE at a time; the
  last child of a full page is the next (older) page;
- `<cam>/<visit id>`: one visit, played from the integration's view (event_views.py) through a
  signed path, as video/mp4.

Only cameras with an entry are shown; the visits come from the event index (events.py), so a
camera with 10,000 visits is browsed by bisection, never by reading a folder.
"""

from __future__ import annotations

from datetime import date, timedelta

from homeassistant.components.media_player.const import CONTENT_AUTH_EXPIRY_TIME, MediaClass, MediaType
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.components.media_source.models import BrowseMediaSource
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_CAMERA_ID, DOMAIN, valid_camera_id
from .event_views import CONTENT_TYPES, camera_runtime, event_path, signed_event_path
from .events import EventIndex, Visit, day_bounds, event_index, valid_event_id

SOURCE_NAME = "Bobby Camera"
PAGE_SIZE = 50
MAX_PAGE = 10000
MIME_MP4 = CONTENT_TYPES["clip"]
# As long as HA's own media paths are signed for (media_player's CONTENT_AUTH_EXPIRY_TIME).
PLAY_EXPIRY = timedelta(seconds=CONTENT_AUTH_EXPIRY_TIME)


async def async_get_media_source(hass: HomeAssistant) -> MediaSource:
    """The media source of the integration (found by media_source's platform discovery)."""
    return BobbyMediaSource(hass)


def _visit_title(visit: Visit) -> str:
    """`17:30:12 · 34 s · door, gate` (the clip's state instead of its length until it is ready)."""
    at = dt_util.as_local(dt_util.utc_from_timestamp(visit.start)).strftime("%H:%M:%S")
    if visit.clip == "ready" and visit.duration is not None:
        length = f"{visit.duration:.0f} s"
    elif visit.clip == "recording":
        length = "recording"
    else:
        length = f"no clip ({visit.clip})"
    parts = [at, length]
    if visit.regions:
        parts.append(", ".join(visit.regions))
    if visit.max_persons > 1:
        parts.append(f"{visit.max_persons} persons")
    return " · ".join(parts)


def _directory(
    identifier: str | None,
    title: str,
    *,
    thumbnail: str | None = None,
    children_media_class: MediaClass | None = None,
    children: list[BrowseMediaSource] | None = None,
) -> BrowseMediaSource:
    """A folder of this source (the root, a camera, a day, a day's next page): opened, not played."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=identifier,
        media_class=MediaClass.DIRECTORY,
        media_content_type=MediaType.VIDEO,
        title=title,
        can_play=False,
        can_expand=True,
        thumbnail=thumbnail,
        children_media_class=children_media_class,
        children=children,
    )


class BobbyMediaSource(MediaSource):
    """The visits of every Bobby camera."""

    name = SOURCE_NAME

    def __init__(self, hass: HomeAssistant) -> None:
        """The source of one HA."""
        super().__init__(DOMAIN)
        self.hass = hass

    def _index(self) -> EventIndex:
        if (index := event_index(self.hass)) is None:
            raise BrowseError("Bobby Camera is not set up")
        return index

    def _cameras(self) -> dict[str, str]:
        """{camera id: name} of every camera with an entry, by name."""
        cameras: dict[str, str] = {}
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            cam = entry.data.get(CONF_CAMERA_ID)
            if isinstance(cam, str) and valid_camera_id(cam):
                runtime = camera_runtime(self.hass, cam)
                cameras[cam] = runtime.name if runtime is not None else entry.title
        return dict(sorted(cameras.items(), key=lambda kv: kv[1].lower()))

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """A visit's clip: a signed path of the integration's view, video/mp4."""
        cam, _, event_id = item.identifier.partition("/")
        if not valid_camera_id(cam) or not valid_event_id(event_id):
            raise Unresolvable(f"{item.identifier} is not a Bobby Camera visit")
        index = event_index(self.hass)
        if index is None or (visit := index.get(cam, event_id)) is None:
            raise Unresolvable(f"No visit {event_id} of camera {cam}")
        if visit.clip != "ready":
            raise Unresolvable(f"The clip of visit {event_id} is not ready ({visit.clip})")
        url = signed_event_path(self.hass, cam, event_id, "clip", PLAY_EXPIRY)
        return PlayMedia(url, MIME_MP4)

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Cameras, a camera's days, a day's visits (paged)."""
        index = self._index()
        if not item.identifier:
            return self._root()
        parts = item.identifier.split("/")
        cam = parts[0]
        cameras = self._cameras()
        if cam not in cameras:
            raise BrowseError(f"{cam[:70]} is not a Bobby camera")
        if len(parts) == 1:
            return self._camera(index, cam, cameras[cam])
        try:
            day = date.fromisoformat(parts[1])
            page = int(parts[2]) if len(parts) == 3 else 1
        except ValueError:
            raise BrowseError(f"{item.identifier[:140]} is not a day of a camera") from None
        if len(parts) > 3 or not 1 <= page <= MAX_PAGE or len(parts[1]) != 10:
            raise BrowseError(f"{item.identifier[:140]} is not a page of a day")
        return self._day(index, cam, cameras[cam], day, page)

    def _root(self) -> BrowseMediaSource:
        cameras = self._cameras()
        return _directory(
            None,
            SOURCE_NAME,
            children_media_class=MediaClass.DIRECTORY,
            children=[
                _directory(
                    cam,
                    name,
                    thumbnail=self._thumbnail(newest[0])
                    if (newest := self._index().page(cam, 1)[0])
                    else None,
                )
                for cam, name in cameras.items()
            ],
        )

    def _camera(self, index: EventIndex, cam: str, name: str) -> BrowseMediaSource:
        children = []
        for day, count in index.days(cam).items():
            since, until = day_bounds(day)
            newest = index.between(cam, since, until)[:1]
            children.append(
                _directory(
                    f"{cam}/{day.isoformat()}",
                    f"{day.isoformat()} · {count} visit{'s' if count != 1 else ''}",
                    thumbnail=self._thumbnail(newest[0]) if newest else None,
                )
            )
        return _directory(cam, name, children_media_class=MediaClass.DIRECTORY, children=children)

    def _day(self, index: EventIndex, cam: str, name: str, day: date, page: int) -> BrowseMediaSource:
        since, until = day_bounds(day)
        visits = index.between(cam, since, until)
        shown = visits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        children = [self._visit(visit) for visit in shown]
        if len(visits) > page * PAGE_SIZE:
            children.append(
                _directory(
                    f"{cam}/{day.isoformat()}/{page + 1}",
                    f"Older visits ({page * PAGE_SIZE + 1}–{min(len(visits), (page + 1) * PAGE_SIZE)}"
                    f" of {len(visits)})",
                )
            )
        suffix = f" (page {page})" if page > 1 else ""
        return _directory(
            f"{cam}/{day.isoformat()}" + (f"/{page}" if page > 1 else ""),
            f"{name} · {day.isoformat()}{suffix}",
            children_media_class=MediaClass.VIDEO,
            children=children,
        )

    def _visit(self, visit: Visit) -> BrowseMediaSource:
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=f"{visit.camera}/{visit.id}",
            media_class=MediaClass.VIDEO,
            media_content_type=MIME_MP4,
            title=_visit_title(visit),
            can_play=visit.clip == "ready",
            can_expand=False,
            thumbnail=self._thumbnail(visit),
        )

    def _thumbnail(self, visit: Visit) -> str | None:
        # An unsigned path of the authenticated view: HA's frontend fetches thumbnails that
        # start with "/" with the user's token.
        return event_path(visit.camera, visit.id, "snapshot") if visit.snapshot else None
