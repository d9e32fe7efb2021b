"""The detector on the real model and real media: people where there are people, none elsewhere."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_agent.detect.detector import Detector, ModelError, _find_outputs, load_interpreter, prepare_input
from edge_agent.detect.imaging import encode_jpeg, load_image
from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS


@pytest.fixture(scope="module")
def detector(model_path) -> Detector:
    return Detector(model_path, min_score=0.3)


def check_objects(objects):
    for o in objects:
        xmin, ymin, xmax, ymax = o.box
        assert 0.0 <= xmin < xmax <= 1.0 and 0.0 <= ymin < ymax <= 1.0, o
        assert 0.3 <= o.score <= 1.0, o
        assert isinstance(o.label, str) and o.label


def persons(objects, threshold=0.5):
    return [o for o in objects if o.label == "person" and o.score >= threshold]


def test_model_facts(detector):
    assert detector.input_size == (300, 300)
    assert detector.backend in ("ai-edge-litert", "tflite-runtime")
    assert detector.labels[0] == "person" and detector.labels[2] == "car"


@pytest.fixture(scope="module")
def vtest_jpegs(media_dir):
    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    frames, index = [], 0
    while len(frames) < 6:
        ok, bgr = cap.read()
        assert ok, "opencv_vtest.avi ended early"
        if index % 120 == 0:  # spread over the clip
            rgb = cv2.cvtColor(cv2.resize(bgr, (640, 480)), cv2.COLOR_BGR2RGB)
            frames.append(encode_jpeg(rgb, 80))
        index += 1
    cap.release()
    return frames


def test_people_in_video_frames(detector, vtest_jpegs):
    for i, jpeg in enumerate(vtest_jpegs):
        objects, size = detector.detect_jpeg(jpeg)
        assert size == (640, 480)
        check_objects(objects)
        found = persons(objects)
        assert len(found) >= 2, f"frame {i}: {[o.to_json() for o in objects]}"
        # Pedestrians are taller than wide: the box order (x, y) is right.
        tall = [o for o in found if (o.box[3] - o.box[1]) > (o.box[2] - o.box[0])]
        assert len(tall) >= len(found) - 1, f"frame {i}: boxes look transposed: {[o.box for o in found]}"
        assert detector.last_inference_ms > 0


@pytest.mark.parametrize("name", PERSON_STILLS)
def test_person_stills(detector, media_dir, name):
    objects = detector.detect_image(load_image(media_dir / name))
    check_objects(objects)
    assert persons(objects), f"{name}: no person >= 0.5 in {[o.to_json() for o in objects]}"


@pytest.mark.parametrize("name", NO_PERSON_STILLS)
def test_no_person_stills(detector, media_dir, name):
    objects = detector.detect_image(load_image(media_dir / name))
    check_objects(objects)
    assert not persons(objects), f"{name}: unexpected person {[o.to_json() for o in persons(objects)]}"


def test_known_box_on_the_camera_man(detector, media_dir):
    # skimage's "camera": the photographer stands in the left half, reaching the bottom.
    best = max(
        persons(detector.detect_image(load_image(media_dir / "skimage_camera.png"))), key=lambda o: o.score
    )
    xmin, ymin, xmax, ymax = best.box
    assert xmin < 0.2 and 0.4 < xmax < 0.75 and ymax > 0.9 and ymin < 0.3


def test_detect_same_as_jpeg_path(detector, vtest_jpegs):
    from edge_agent.detect.imaging import decode_jpeg

    rgb, _ = decode_jpeg(vtest_jpegs[0], detector.input_size)
    assert [o.label for o in detector.detect(rgb)] == [
        o.label for o in detector.detect_jpeg(vtest_jpegs[0])[0]
    ]


def test_wrong_shape_is_refused(detector):
    with pytest.raises(ValueError, match="RGB"):
        detector.detect(np.zeros((300, 300), np.uint8))


def test_labels_from_list_and_min_score(model_path, media_dir):
    d = Detector(model_path, labels=["human"] + [f"c{i}" for i in range(1, 90)], min_score=0.6)
    objects = d.detect_image(load_image(media_dir / "skimage_camera.png"))
    assert objects and all(o.score >= 0.6 for o in objects)
    assert "human" in {o.label for o in objects}


def test_garbage_model_gives_model_error(tmp_path):
    bad = tmp_path / "garbage.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 100)
    with pytest.raises(ModelError, match="not a TFLite model"):
        Detector(bad)


def test_missing_model_gives_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist.*bobby-edge model download"):
        load_interpreter(tmp_path / "nope.tflite")


def out(name, shape, index):
    return {"name": name, "shape": np.array(shape), "index": index}


def test_outputs_found_by_name_suffix_in_any_order():
    details = [
        out("TFLite_Detection_PostProcess:3", [1], 3),
        out("TFLite_Detection_PostProcess:2", [1, 10], 2),
        out("TFLite_Detection_PostProcess", [1, 10, 4], 0),
        out("TFLite_Detection_PostProcess:1", [1, 10], 1),
    ]
    found = _find_outputs(details)
    assert {k: v["index"] for k, v in found.items()} == {"boxes": 0, "classes": 1, "scores": 2, "count": 3}


def test_outputs_found_by_descriptive_names_and_by_shape():
    named = [
        out("detection_scores", [1, 25], 7),
        out("num_detections", [1], 8),
        out("detection_boxes", [1, 25, 4], 5),
        out("detection_classes", [1, 25], 6),
    ]
    assert {k: v["index"] for k, v in _find_outputs(named).items()} == {
        "boxes": 5,
        "classes": 6,
        "scores": 7,
        "count": 8,
    }
    anonymous = [out("a", [1, 25, 4], 0), out("b", [1, 25], 1), out("c", [1, 25], 2), out("d", [1], 3)]
    assert {k: v["index"] for k, v in _find_outputs(anonymous).items()} == {
        "boxes": 0,
        "classes": 1,
        "scores": 2,
        "count": 3,
    }


def test_classifier_outputs_give_model_error():
    with pytest.raises(ModelError, match="does not end in SSD post-processing.*probabilities \\[1, 1001\\]"):
        _find_outputs([out("probabilities", [1, 1001], 0)])


def test_prepare_input_per_model_type():
    rgb = np.array([[[0, 128, 255]]], np.uint8)
    assert prepare_input(rgb, np.uint8).tolist() == [[[[0, 128, 255]]]]
    assert prepare_input(rgb, np.int8).tolist() == [[[[-128, 0, 127]]]]
    f = prepare_input(rgb, np.float32)
    assert f.dtype == np.float32 and np.allclose(f, [[[[-1.0, 0.00392157, 1.0]]]])
    f01 = prepare_input(rgb, np.float32, mean=0.0, std=255.0)
    assert np.allclose(f01, [[[[0.0, 128 / 255, 1.0]]]])
    fq = prepare_input(rgb, np.float32, quantization=(1 / 128, 128))
    assert np.allclose(fq, [[[[-1.0, 0.0, 127 / 128]]]])
    with pytest.raises(ModelError, match="not supported"):
        prepare_input(rgb, np.int32)
