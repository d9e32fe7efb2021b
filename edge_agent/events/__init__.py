"""Visits (events) of a camera, for both detection services (docs/mqtt.md, "events").

- `visit`: `VisitTracker`, one camera's visits and the exact `bobby/<cam>/event` payloads (no
  MQTT, no files: the caller publishes and writes);
- `files`: a visit's file names (`<cam>/<id>.mp4`, `.mp4.part`, `<id>.jpg`, `<id>-clean.jpg`),
  atomic writes, leftovers and retention by whole visits;
- `clip`: `ClipWriter`, JPEG frames to a fragmented H.264 MP4 at their real times (PyAV), and
  `recover_part`, which closes what a killed writer left.
"""
