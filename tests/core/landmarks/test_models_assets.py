"""Model file lookup, the TFLite runner and the registry, on the real files."""
from __future__ import annotations

import numpy as np
import pytest

from wholebody_core.errors import InputError, ModelFileError
from wholebody_core.models import (
    create_detector, create_landmark_backend, list_detectors, list_landmark_backends,
)
from wholebody_core.models.assets import MEDIAPIPE_MODEL_FILES, model_path
from wholebody_core.models.tflite_runner import TfliteModel


@pytest.mark.parametrize("name", sorted(MEDIAPIPE_MODEL_FILES))
def test_every_model_file_is_found_and_loads(name):
    path = model_path(name)
    assert path.is_file() and path.suffix == ".tflite"
    model = TfliteModel(path, num_threads=1)
    h, w = model.input_size
    out = model.run(np.zeros((1, h, w, 3), np.float32))
    assert all(np.isfinite(v).all() for v in out.values())


def test_missing_models_dir_says_what_to_install(tmp_path):
    with pytest.raises(ModelFileError, match="pip install"):
        model_path("pose_detection", models_dir=tmp_path)


def test_models_dir_with_bare_files(tmp_path):
    src = model_path("iris_landmark")
    (tmp_path / src.name).write_bytes(src.read_bytes())
    assert model_path("iris_landmark", models_dir=tmp_path) == tmp_path / src.name


def test_unknown_model_and_empty_file(tmp_path):
    with pytest.raises(ModelFileError, match="Unknown model"):
        model_path("no_such_model")
    (tmp_path / "iris_landmark.tflite").write_bytes(b"")
    with pytest.raises(ModelFileError):
        model_path("iris_landmark", models_dir=tmp_path)


def test_corrupt_model_file_raises_model_file_error(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer at all" * 10)
    with pytest.raises(ModelFileError):
        TfliteModel(bad)


def test_registry_lists_and_creates():
    assert "blazepose" in list_detectors() and "hog" in list_detectors()
    assert list_landmark_backends() == ["mediapipe-tflite"]
    with pytest.raises(InputError, match="choose one of"):
        create_landmark_backend("nope")
    with pytest.raises(InputError):
        create_detector("nope")


@pytest.mark.parametrize("name", ["blazepose", "hog"])
def test_every_detector_finds_nobody_in_a_blank_image(name):
    detector = create_detector(name)
    assert detector.detect(np.full((240, 320, 3), 127, np.uint8)) == []


@pytest.mark.parametrize("bad", [dict(max_people=0), dict(detect_every=0), dict(min_person_score=1.5),
                                 dict(tile_fractions=(0.5, 1.2))])
def test_bad_landmark_options_raise_input_errors(bad):
    from wholebody_core.landmarks.backend import LandmarkOptions

    with pytest.raises(InputError):
        LandmarkOptions(**bad)


def test_process_frame_rejects_non_rgb_images():
    from wholebody_core.landmarks.backend import LandmarkOptions

    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(hands=False, face=False))
    with pytest.raises(InputError, match="uint8 RGB"):
        backend.process_frame(np.zeros((48, 64), np.uint8))
    with pytest.raises(InputError):
        backend.process_frame(np.zeros((48, 64, 3), np.float32))
