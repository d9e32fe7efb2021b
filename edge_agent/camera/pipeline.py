"""The smart camera's child process: capture, motion gate, detection, live-view frames, recording.

It runs in its own process (not a thread of the MQTT process) because inference holds the CPU and,
through Python's GIL, would starve the MQTT loop; and because picamera2 must be created in the
process that uses it. The parent (edge_agent.supervisor.ChildProcess) talks to it over two
pipes, with the message classes of pipeline_messages.py:

parent → child (`ctrl`): SetRois, SetDetection, SetViewers, PersonChanged, KeepCandidate,
WriteSnapshot, Stop

child → parent (`out`): Ready, Fatal, Heartbeat (edge_agent.supervisor), PipelineResult,
LiveFrame, Snapshot, RoisApplied, PipelineStats, SnapshotWritten, Clip

Visits (docs/mqtt.md, "events"): the parent decides them (edge_agent.events.VisitTracker, fed
with the results) and names them; this process records each visit's clip under its id and writes
its best snapshot when the parent asks for a frame it analysed (the last `PERSON_FRAMES` frames
with a person are kept for that, and one "candidate" from before the visit started).

Inside, threads share only "the latest frame": the capture thread never waits for the detector
or for viewers; the detector takes the newest frame (the ones it had no time for are counted as
dropped); the viewer thread encodes the newest frame for the HTTP server.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import os
import queue
import threading
import time
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np

from edge_agent.camera.pipeline_messages import (
    Clip,
    KeepCandidate,
    LiveFrame,
    PersonChanged,
    PipelineConfig,
    PipelineResult,
    PipelineStats,
    RoisApplied,
    SetDetection,
    SetRois,
    SetViewers,
    Snapshot,
    SnapshotWritten,
    WriteSnapshot,
)
from edge_agent.camera.recording.recorder import ClipReport, RecordSettings
from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.motion import MotionGate, MotionSettings
from edge_agent.detect.rois import RoiSet
from edge_agent.supervisor import Fatal, Heartbeat, Ready, Stop, child_setup

if TYPE_CHECKING:
    from edge_agent.camera.recording.recorder import PacketRecorder
    from edge_agent.camera.sources.base import FrameSource
    from edge_agent.detect.detector import Detector

HEARTBEAT_EVERY = 1.0
IDLE_VIEW_EVERY = 1.0  # with no viewer, still refresh /snapshot.jpg this often
# Analysed frames with a person kept for the parent's WriteSnapshot (its answer comes within
# milliseconds: a few frames at any frame rate).
PERSON_FRAMES = 8

# An analysed frame with a person: capture time, the frame, what was found, the regions drawn.
PersonFrame = tuple[float, np.ndarray, list[DetectedObject], list[list[tuple[float, float]]]]


class _Window:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.captured = 0
        self.analysed = 0
        self.inference_ms = 0.0
        self.inferences = 0


class Pipeline:
    def __init__(self, cfg: PipelineConfig, ctrl: Connection, out: Connection) -> None:
        self.cfg = cfg
        self.ctrl = ctrl
        self.out = out
        self.log = logging.getLogger(f"edge_agent.camera.pipeline.{cfg.camera_id}")
        self.send_lock = threading.Lock()
        self.stop = threading.Event()
        self.roi_set = cfg.roi_set
        self.detection_on = cfg.detection_on
        self.viewers = 0
        self.cond = threading.Condition()
        self.latest: tuple[np.ndarray, float, int] | None = None  # rgb, captured_at, seq
        self.seq = 0
        self.last_objects: list[DetectedObject] = []
        self.last_objects_at = 0.0
        self.totals = {
            "captured": 0,
            "analysed": 0,
            "inferences": 0,  # model runs: one per region, or 1 for the whole frame
            "dropped": 0,
            "motion_skipped": 0,
            "motion_checked": 0,
            "view_frames": 0,
            "record_dropped": 0,
        }
        self.window = _Window()
        self.gate: MotionGate | None = None
        self.gate_for: RoiSet | None = None  # the ROI set the gate was configured for
        self.person_on = False  # the debounced camera-wide state (PersonChanged)
        self.recorder: PacketRecorder | None = None
        self.person_frames: collections.deque[PersonFrame] = collections.deque(maxlen=PERSON_FRAMES)
        self.candidate: PersonFrame | None = None  # KeepCandidate's frame
        # ("frame", RGB array, capture time) or ("person", on, time)
        self.record_queue: queue.Queue[tuple[str, Any, float]] = queue.Queue(maxsize=max(4, int(cfg.fps * 2)))
        self.source: FrameSource | None = None  # opened by run(), before the threads start
        self.detector: Detector | None = None  # loaded by run()

    def send(self, msg: object) -> None:
        with self.send_lock:
            try:
                self.out.send(msg)
            except (BrokenPipeError, EOFError, OSError):
                self.stop.set()  # the parent is gone

    # --- threads ---------------------------------------------------------------------------

    def capture_loop(self) -> None:
        from edge_agent.camera.sources.base import SourceError

        assert self.source is not None  # run() opened it
        try:
            while not self.stop.is_set():
                rgb = self.source.read()
                if rgb is None:
                    if self.source.closed:
                        return
                    continue
                now = time.time()
                with self.cond:
                    self.seq += 1
                    self.latest = (rgb, now, self.seq)
                    self.totals["captured"] += 1
                    self.window.captured += 1
                    self.cond.notify_all()
                if self.recorder is not None and self.recorder.wants_frames:
                    try:
                        self.record_queue.put_nowait(("frame", rgb, now))
                    except queue.Full:
                        self.totals["record_dropped"] += 1
        except SourceError as err:
            self.send(Fatal(str(err)))
            self.stop.set()
        except Exception as err:  # a driver bug: let the parent restart us
            self.log.exception("capture failed")
            self.send(Fatal(f"capture failed: {err}"))
            self.stop.set()

    def control_loop(self) -> None:
        while not self.stop.is_set():
            try:
                if not self.ctrl.poll(0.5):
                    continue
                msg = self.ctrl.recv()
            except (EOFError, OSError):
                self.stop.set()
                return
            if isinstance(msg, SetRois):
                self.roi_set = msg.roi_set  # the next frame analysed uses it
                self.send(RoisApplied(msg.roi_set.version, msg.sent_at, time.time()))
            elif isinstance(msg, SetDetection):
                self.detection_on = msg.on
                if not self.detection_on:
                    self.last_objects = []
            elif isinstance(msg, SetViewers):
                self.viewers = msg.count
                with self.cond:
                    self.cond.notify_all()
            elif isinstance(msg, PersonChanged):
                self.person_on = msg.on  # the motion gate keeps a still person detected
                if self.recorder is not None:
                    try:
                        self.record_queue.put(("person", (msg.on, msg.visit_id), msg.at), timeout=1.0)
                    except queue.Full:
                        self.log.warning("recording queue full: person %s event lost", msg.on)
            elif isinstance(msg, KeepCandidate):
                self.candidate = self._person_frame(msg.captured_at) or self.candidate
            elif isinstance(msg, WriteSnapshot):
                self.send(self.write_snapshot(msg))
            elif isinstance(msg, Stop):
                self.stop.set()
                with self.cond:
                    self.cond.notify_all()
                return

    def view_loop(self) -> None:
        from edge_agent.detect import imaging

        last_seq = 0
        last_sent = 0.0
        while not self.stop.is_set():
            with self.cond:
                self.cond.wait_for(
                    lambda: self.stop.is_set() or (self.latest is not None and self.latest[2] != last_seq),
                    1.0,
                )
                if self.stop.is_set() or self.latest is None or self.latest[2] == last_seq:
                    continue
                rgb, captured_at, last_seq = self.latest
            now = time.monotonic()
            if self.viewers <= 0 and now - last_sent < IDLE_VIEW_EVERY:
                continue
            last_sent = now
            objects = (
                self.last_objects if self.detection_on and time.time() - self.last_objects_at < 2.0 else []
            )
            polygons = [list(r.points) for r in self.roi_set.rois]
            picture = imaging.draw_detections(rgb, objects, polygons) if (objects or polygons) else rgb
            try:
                jpeg = imaging.encode_jpeg(picture, self.cfg.view_quality)
            except ValueError as err:
                self.log.warning("live view frame not encoded: %s", err)
                continue
            self.totals["view_frames"] += 1
            self.send(LiveFrame(jpeg, captured_at))

    def _person_frame(self, captured_at: float) -> PersonFrame | None:
        for frame in (*reversed(self.person_frames), self.candidate):
            if frame is not None and frame[0] == captured_at:
                return frame
        return None

    def write_snapshot(self, msg: WriteSnapshot) -> SnapshotWritten:
        """The visit's best snapshot: `<id>-clean.jpg` (the frame as captured), then `<id>.jpg`
        (boxes, captions and regions drawn, as the retained snapshot), each written to a
        temporary name and renamed (edge_agent.events.files.atomic_write)."""
        from edge_agent.detect import imaging
        from edge_agent.events.files import atomic_write, visit_files

        frame = self._person_frame(msg.captured_at)
        if frame is None or self.cfg.record is None:
            why = "no recording folder" if self.cfg.record is None else "the frame is no longer kept"
            return SnapshotWritten(msg.visit_id, msg.captured_at, False, why)
        _, rgb, objects, polygons = frame
        try:
            files = visit_files(self.cfg.record.directory, self.cfg.camera_id, msg.visit_id)
            q = self.cfg.snapshot_quality
            atomic_write(files.clean, imaging.encode_jpeg(rgb, q))
            drawn = imaging.draw_detections(rgb, objects, polygons)
            atomic_write(files.snapshot, imaging.encode_jpeg(drawn, q))
        except (OSError, ValueError) as err:
            self.log.warning("visit %s: snapshot not written: %s", msg.visit_id, err)
            return SnapshotWritten(msg.visit_id, msg.captured_at, False, str(err))
        return SnapshotWritten(msg.visit_id, msg.captured_at, True)

    def record_loop(self) -> None:
        assert self.recorder is not None  # run() starts this thread with one
        while not self.stop.is_set() or not self.record_queue.empty():
            try:
                item = self.record_queue.get(timeout=0.5)
            except queue.Empty:
                self.recorder.expire(time.time())  # no frames: a visit's clip still closes
                continue
            kind, value, t = item
            try:
                if kind == "person":
                    on, visit_id = value
                    self.recorder.person_changed(on, t, visit_id)
                else:
                    self.recorder.add_frame(value, t)
            except Exception as err:  # the recorder reports its own I/O errors; this is a bug
                self.log.exception("recording failed")
                self.recorder.error = f"recorder failed: {err}"
        self.recorder.close()

    # --- detection (main thread) -----------------------------------------------------------

    def detect_loop(self) -> None:
        from edge_agent.detect import imaging, regions
        from edge_agent.detect.rois import apply_filters

        assert self.detector is not None  # run() loaded it
        last_seq = 0
        last_snapshot = 0.0
        next_beat = time.monotonic()
        next_stats = time.monotonic() + self.cfg.stats_interval
        while not self.stop.is_set():
            now_m = time.monotonic()
            if now_m >= next_beat:
                next_beat = now_m + HEARTBEAT_EVERY
                self.send(Heartbeat(time.time()))
            if now_m >= next_stats:
                next_stats += self.cfg.stats_interval
                self.send(PipelineStats(self.stats()))
            with self.cond:
                self.cond.wait_for(
                    lambda: self.stop.is_set() or (self.latest is not None and self.latest[2] != last_seq),
                    0.5,
                )
                if self.stop.is_set() or self.latest is None or self.latest[2] == last_seq:
                    continue
                rgb, captured_at, seq = self.latest
            if last_seq and seq - last_seq > 1 and self.detection_on:
                self.totals["dropped"] += seq - last_seq - 1  # captured while the detector was busy
            last_seq = seq
            if not self.detection_on:
                continue
            roi_set = self.roi_set
            if roi_set is not self.gate_for:
                self._configure_gate(roi_set)
            if self.gate is not None:
                self.totals["motion_checked"] += 1
                if not self.gate.should_analyse(rgb, time.monotonic(), self.person_on):
                    self.totals["motion_skipped"] += 1
                    continue
            t0 = time.perf_counter()
            # Regions from motion (detect/regions.py, shared with listen_frame's workers): crops
            # of this frame around what the gate saw move; None: the whole frame, resized.
            h, w = rgb.shape[:2]
            plan = None
            if self.gate is not None:
                plan = regions.for_frame(
                    self.gate.last_check, self.gate.last, (w, h), self.detector.input_size, roi_set.detection
                )
            raw, inferences = regions.detect(self.detector, rgb, plan)
            inference_ms = (time.perf_counter() - t0) * 1000.0
            objects = apply_filters(raw, roi_set)
            person = any(o.label == "person" for o in objects)
            if self.gate is not None:
                boxes = tuple(o.box for o in objects if o.label == "person")
                self.gate.analysed(person, time.monotonic(), boxes)
            self.totals["inferences"] += inferences
            self.last_objects, self.last_objects_at = objects, time.time()
            if person:  # the parent may ask for it as a visit's snapshot (WriteSnapshot)
                polygons = [list(r.points) for r in roi_set.rois]
                self.person_frames.append((captured_at, rgb, objects, polygons))
            self.totals["analysed"] += 1
            self.window.analysed += 1
            self.window.inference_ms += inference_ms
            self.window.inferences += inferences
            ran = [r.to_json((w, h)) for r in plan] if plan else None
            self.send(
                PipelineResult(captured_at, time.time(), inference_ms, (w, h), roi_set.version, objects, ran)
            )
            if person and self.snapshot_due(time.monotonic(), last_snapshot):
                last_snapshot = time.monotonic()
                drawn = imaging.draw_detections(rgb, objects, [list(r.points) for r in roi_set.rois])
                self.send(Snapshot(imaging.encode_jpeg(drawn, self.cfg.snapshot_quality)))

    def snapshot_due(self, now: float, last: float) -> bool:
        """Whether a frame with a person is drawn for the parent, as listen_frame's workers are
        asked to (CameraChannel.want_snapshot): every one until the camera-wide state is on (a
        visit may be starting: its first picture is the one kept), then every snapshot_interval."""
        return not self.person_on or now - last >= self.cfg.snapshot_interval

    def _configure_gate(self, roi_set: RoiSet) -> None:
        """The motion gate the ROI set asks for (detection.motion*), with the camera's own
        thresholds (--motion-gate) where it has them; the set decides whether there is one."""
        self.gate_for = roi_set
        settings = MotionSettings.from_detection(roi_set.detection, self.cfg.motion)
        if settings is None:
            self.gate = None
        elif self.gate is None:
            self.gate = MotionGate(settings)
        else:
            self.gate.configure(settings)

    def stats(self) -> dict[str, Any]:
        w, self.window = self.window, _Window()
        elapsed = max(1e-6, time.monotonic() - w.start)
        return {
            **self.totals,
            "interval": round(elapsed, 3),
            "capture_fps": round(w.captured / elapsed, 2),
            "analysed_fps": round(w.analysed / elapsed, 2),
            "inference_ms": round(w.inference_ms / w.analysed, 2) if w.analysed else None,
            "inferences_per_frame": round(w.inferences / w.analysed, 2) if w.analysed else None,
            "source": self.source.stats() if self.source else {},
            "recording": self.recorder.status() if self.recorder else None,
        }

    def _make_recorder(self, settings: RecordSettings) -> PacketRecorder:
        """The Pi's hardware encoder when the source is picamera2 and the board has one, else PyAV."""
        from edge_agent.camera.recording.hardware_encoder import PicameraRecorder
        from edge_agent.camera.recording.software_encoder import Recorder

        def on_clip(r: ClipReport) -> None:
            self.send(Clip(r.visit_id, r.ok, r.path, r.start, r.end, r.duration, r.recovered))

        assert self.source is not None  # opened before the recorder is made
        cam = getattr(self.source, "cam", None)
        if self.source.platform == "picamera2" and cam is not None:
            recorder = PicameraRecorder(settings, cam, on_clip=on_clip)
            try:
                recorder.start()
                self.log.info("recording with picamera2's hardware H.264 encoder")
                return recorder
            except Exception as err:  # a Pi 5 has no H.264 block; an old picamera2 lacks the API
                self.log.warning(
                    "picamera2 hardware H.264 encoder unavailable (%s: %s); encoding in software",
                    type(err).__name__,
                    err,
                )
        return Recorder(settings, on_clip=on_clip)

    def run(self) -> None:
        from edge_agent.camera.sources.base import SourceError
        from edge_agent.camera.sources.spec import open_source
        from edge_agent.detect.detector import Detector

        cfg = self.cfg
        try:
            self.detector = Detector(cfg.model_path, threads=cfg.threads)
        except Exception as err:
            self.send(Fatal(f"model {cfg.model_path}: {type(err).__name__}: {err}"))
            return
        try:
            self.source = open_source(cfg.source, cfg.size, cfg.fps, loop=cfg.loop)
        except SourceError as err:
            self.send(Fatal(str(err)))
            return
        # The frames keep the source's aspect (sources/frame_size.py): recordings are made at
        # the size the source gives, which the parent announces (Ready's "size").
        size = self.source.size
        threads = [
            threading.Thread(target=self.capture_loop, name="capture", daemon=True),
            threading.Thread(target=self.control_loop, name="control", daemon=True),
            threading.Thread(target=self.view_loop, name="view", daemon=True),
        ]
        record_thread = None
        if cfg.record is not None:
            self.recorder = self._make_recorder(dataclasses.replace(cfg.record, size=size))
            # What a killed run left: closed and reported before Ready, so that the parent knows
            # which of its visits' clips are accounted for when this process says it is ready.
            self.recorder.recover()
            record_thread = threading.Thread(target=self.record_loop, name="record")
            threads.append(record_thread)
        for t in threads:
            t.start()
        self.send(
            Ready(
                {
                    "pid": os.getpid(),
                    "platform": self.source.platform,
                    "backend": self.detector.backend,
                    "input_size": self.detector.input_size,
                    "size": list(size),
                }
            )
        )
        try:
            self.detect_loop()
        finally:
            self.stop.set()
            with self.cond:
                self.cond.notify_all()
            if record_thread is not None:
                # It stops the Pi's encoder (and closes the files) while the camera still runs.
                record_thread.join(timeout=10)
            self.source.close()
            for t in threads:
                t.join(timeout=5)


def run_pipeline(ctrl: Connection, out: Connection, cfg: PipelineConfig) -> None:
    """Process entry point."""
    child_setup(cfg.log_level)  # as listen_frame's workers: signals, logging
    Pipeline(cfg, ctrl, out).run()
