"""The TFLite SSD detector: an RGB frame in, `DetectedObject`s with normalised boxes out.

Works with any model that ends in TFLite's SSD post-processing (boxes, classes, scores, count),
given a label file: the bundled COCO SSD MobileNet v1, and others exported the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.imaging import decode_jpeg, resize
from edge_agent.detect.model import ModelError, resolve_labels

__all__ = ["Detector", "ModelError", "load_interpreter", "prepare_input"]

log = logging.getLogger(__name__)


def load_interpreter(model_path: str | Path, threads: int = 1) -> tuple[Any, str]:
    """A ready (tensors allocated) interpreter and the name of the runtime that gave it.

    ai-edge-litert is the maintained runtime (wheels for Python 3.11-3.13 on x86-64 and aarch64);
    tflite-runtime is the fallback where it has no wheel.
    """
    path = Path(model_path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist; run `bobby-edge model download` or pass --model")
    try:
        from ai_edge_litert.interpreter import Interpreter

        backend = "ai-edge-litert"
    except ImportError:
        try:
            # no-redef where tflite-runtime is installed; unused where it is not
            from tflite_runtime.interpreter import Interpreter  # type: ignore[no-redef, unused-ignore]

            backend = "tflite-runtime"
        except ImportError:
            raise ModelError(
                "no TFLite runtime installed: `pip install ai-edge-litert` (or `pip install tflite-runtime`)"
            ) from None
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=max(1, int(threads)))
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"{path} is not a TFLite model the runtime can load ({backend}): {first}") from None
    return interpreter, backend


def prepare_input(
    rgb: np.ndarray,
    dtype: Any,
    quantization: tuple[float, int] = (0.0, 0),
    mean: float = 127.5,
    std: float = 127.5,
) -> np.ndarray:
    """An RGB uint8 array as the model's input tensor (batch of one).

    uint8 models take pixels as they are (their input quantization maps 0..255 onto the range
    they were trained on). int8 models take pixel - 128, which maps onto the same real values
    for the usual quantizations. Float models take (pixel - mean) / std: the default gives the
    -1..1 of SSD MobileNet; mean 0, std 255 gives 0..1. A float input that carries quantization
    parameters says itself which real value a pixel stands for: scale * (pixel - zero_point).
    """
    dtype = np.dtype(dtype)
    data: npt.NDArray[np.generic]
    if dtype == np.uint8:
        data = rgb.astype(np.uint8, copy=False)
    elif dtype == np.int8:
        data = (rgb.astype(np.int16) - 128).astype(np.int8)
    elif dtype.kind == "f":
        scale, zero_point = quantization
        if scale:
            data = (rgb.astype(np.float32) - zero_point) * scale
        else:
            data = (rgb.astype(np.float32) - mean) / std
        data = data.astype(dtype, copy=False)
    else:
        raise ModelError(f"model input type {dtype} is not supported (uint8, int8 or float)")
    return np.expand_dims(data, 0)


def _find_outputs(details: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Map boxes/classes/scores/count to output tensors by name, else by shape."""
    found: dict[str, dict[str, Any]] = {}
    by_name = {
        "boxes": ("box",),
        "classes": ("class",),
        "scores": ("score",),
        "count": ("num", "count"),
    }
    # TFLite_Detection_PostProcess names its outputs "", ":1", ":2", ":3" in this order.
    suffixes = {"boxes": "TFLite_Detection_PostProcess", "classes": ":1", "scores": ":2", "count": ":3"}
    post = [d for d in details if d["name"].startswith("TFLite_Detection_PostProcess")]
    if len(post) == 4:
        for key, suffix in suffixes.items():
            match = [
                d for d in post if (d["name"] == suffix if key == "boxes" else d["name"].endswith(suffix))
            ]
            if len(match) == 1:
                found[key] = match[0]
    if len(found) < 4:
        found = {}
        for key, words in by_name.items():
            match = [d for d in details if any(w in d["name"].lower() for w in words)]
            if len(match) == 1:
                found[key] = match[0]
    if len(found) < 4:
        # By shape: boxes [1,N,4], count [1], and two [1,N] (classes before scores, as the
        # post-processing op emits them; `Detector` swaps them if the values say otherwise).
        found = {}
        boxes = [d for d in details if len(d["shape"]) == 3 and d["shape"][-1] == 4]
        count = [d for d in details if list(d["shape"]) == [1]]
        pairs = [d for d in details if len(d["shape"]) == 2]
        if len(boxes) == 1 and len(count) == 1 and len(pairs) == 2:
            n = boxes[0]["shape"][1]
            if all(p["shape"][1] == n for p in pairs):
                found = {"boxes": boxes[0], "classes": pairs[0], "scores": pairs[1], "count": count[0]}
    if len(found) < 4:
        have = ", ".join(f"{d['name']} {[int(v) for v in d['shape']]}" for d in details) or "none"
        raise ModelError(
            "model does not end in SSD post-processing (outputs boxes [1,N,4], classes [1,N], "
            f"scores [1,N], count [1]); its outputs are: {have}"
        )
    return found


class Detector:
    """A loaded model. `detect*` may be called from several threads (one inference at a time)."""

    def __init__(
        self,
        model_path: str | Path,
        labels: str | Path | list[str] | None = None,
        threads: int = 1,
        min_score: float = 0.3,
        *,
        input_mean: float = 127.5,
        input_std: float = 127.5,
    ) -> None:
        self.model_path = Path(model_path)
        self.min_score = float(min_score)
        self._interpreter, self.backend = load_interpreter(self.model_path, threads)
        inputs = self._interpreter.get_input_details()
        if len(inputs) != 1 or len(inputs[0]["shape"]) != 4 or inputs[0]["shape"][3] != 3:
            shapes = ", ".join(str([int(v) for v in d["shape"]]) for d in inputs)
            raise ModelError(f"{self.model_path}: expected one input [1, h, w, 3], got {shapes or 'none'}")
        self._input = inputs[0]
        _, h, w, _ = (int(v) for v in self._input["shape"])
        self.input_size: tuple[int, int] = (w, h)
        self._input_dtype = self._input["dtype"]
        self._input_quant = tuple(self._input.get("quantization", (0.0, 0)))
        self._mean, self._std = float(input_mean), float(input_std)
        try:
            self._outputs = _find_outputs(self._interpreter.get_output_details())
        except ModelError as err:
            raise ModelError(f"{self.model_path}: {err}") from None
        self._order_checked = False
        self.labels: list[str] = resolve_labels(self.model_path, labels)
        self._lock = threading.Lock()
        self.last_inference_ms = 0.0
        log.debug(
            "model %s: input %dx%d %s, backend %s",
            self.model_path,
            w,
            h,
            np.dtype(self._input_dtype),
            self.backend,
        )

    def _label(self, class_id: int) -> str:
        if 0 <= class_id < len(self.labels):
            return self.labels[class_id]
        return f"class_{class_id}"

    def _check_order(self, classes: np.ndarray, scores: np.ndarray, count: int) -> None:
        """Swap classes and scores if outputs found by shape came the other way round."""
        c, s = classes[:count], scores[:count]
        if count == 0:
            return
        if not np.allclose(c, np.round(c)) or (np.allclose(s, np.round(s)) and s.max() > 1):
            self._outputs["classes"], self._outputs["scores"] = (
                self._outputs["scores"],
                self._outputs["classes"],
            )
        self._order_checked = True

    def detect(self, rgb: np.ndarray) -> list[DetectedObject]:
        """Objects scoring at least `min_score` in an RGB uint8 frame (resized if not input size)."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB image of shape (h, w, 3), got {rgb.shape}")
        w, h = self.input_size
        if rgb.shape[0] != h or rgb.shape[1] != w:
            rgb = resize(rgb, self.input_size)
        tensor = prepare_input(rgb, self._input_dtype, self._input_quant, self._mean, self._std)
        out = self._outputs
        with self._lock:
            start = time.perf_counter()
            self._interpreter.set_tensor(self._input["index"], tensor)
            self._interpreter.invoke()
            self.last_inference_ms = (time.perf_counter() - start) * 1000.0
            boxes = self._interpreter.get_tensor(out["boxes"]["index"])[0]
            classes = self._interpreter.get_tensor(out["classes"]["index"])[0]
            scores = self._interpreter.get_tensor(out["scores"]["index"])[0]
            count = int(np.asarray(self._interpreter.get_tensor(out["count"]["index"])).reshape(-1)[0])
            if not self._order_checked:
                self._check_order(classes, scores, min(count, len(scores)))
                classes = self._interpreter.get_tensor(self._outputs["classes"]["index"])[0]
                scores = self._interpreter.get_tensor(self._outputs["scores"]["index"])[0]
        objects = []
        for i in range(min(count, len(scores))):
            score = float(scores[i])
            if not score >= self.min_score:  # also drops NaN
                continue
            # The model gives ymin, xmin, ymax, xmax; the contract (and ROI points) use x, y.
            ymin, xmin, ymax, xmax = (min(1.0, max(0.0, float(v))) for v in boxes[i])
            if xmax <= xmin or ymax <= ymin:
                continue
            label = self._label(int(classes[i]))
            objects.append(DetectedObject(label, score, (xmin, ymin, xmax, ymax)))
        return objects

    def detect_jpeg(self, jpeg: bytes) -> tuple[list[DetectedObject], tuple[int, int]]:
        """Decode (at reduced scale when the frame is big), resize, detect; also the frame's (w, h)."""
        rgb, size = decode_jpeg(jpeg, self.input_size)
        return self.detect(rgb), size

    def detect_image(self, rgb: np.ndarray) -> list[DetectedObject]:
        """Detect in an RGB frame of any size."""
        return self.detect(resize(rgb, self.input_size))
