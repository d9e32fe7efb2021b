"""Recording (smart camera): continuous chunks with retention, event clips with pre- and post-roll.

Frames are encoded to H.264 **once**, a keyframe every second with SPS/PPS repeated at every
keyframe; the packets then fan out to the chunk being written, to an event clip when one is open,
and to a ring buffer of the last seconds, which is the clip's pre-roll (what picamera2's
`CircularOutput` keeps). Two encoders feed the same `PacketRecorder`:

- `Recorder`: software, PyAV / libx264, fed with RGB frames (any source, any machine);
- `PicameraRecorder`: the Pi's hardware encoder (picamera2 `H264Encoder`), which encodes the
  camera's own stream and hands its packets to a picamera2 `Output` of ours.

Files are fragmented MP4 (a keyframe starts a fragment): a power cut leaves a playable file, and
browsers and Home Assistant play them. Chunks carry the camera id and a UTC timestamp,
`<cam>_20261121T120102Z.mp4`; an event clip is one visit's (docs/mqtt.md, "events"),
`<cam>/<id>.mp4` (`<id>.mp4.part` while written), beside the visit's snapshots.

Retention deletes the camera's oldest recordings (chunks and whole visits; never one being
written) beyond `max_age`, beyond
`max_bytes` in total, and while the file system has less free space than the floor
(`min_free_fraction` of its size or `min_free_bytes`, whichever is smaller). It runs when a chunk
closes, every `retention_interval` seconds from a thread of its own (so it also runs with
`continuous: false`, and when no file closes because the disk is full), and right after any write
error.

Any error (full disk, unwritable directory) is logged (rate-limited), counted and reported in
`status()`; the file that failed is closed at once (an open descriptor would keep the space of a
deleted file), and the recorder tries again `retry_after` seconds later, when the free space is
back above the floor. It never raises into the caller, so detection keeps running.

Modules:

- `recorder`: `RecordSettings` and `PacketRecorder` (chunks, event clips, pre-roll ring, errors
  and retries, the retention timer), fed with encoded packets;
- `mp4`: the encoded packet and the fragmented-MP4 writer of one file;
- `retention`: file names, disk space, and which old files to delete;
- `software_encoder`: `Recorder` (PyAV / libx264, any source);
- `hardware_encoder`: `PicameraRecorder` (the Pi's H.264 encoder through picamera2).
"""
