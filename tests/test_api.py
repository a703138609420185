"""SegModel: a run's config.yaml and weights in three lines, in a fresh interpreter."""
import os
import subprocess
import sys

import numpy as np
import pytest

from seg_engine import SegModel
from seg_engine.engine import DefaultPredictor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_run_config_holds_only_the_keys_of_the_projects_it_uses(tiny_demo_run):
    text = open(tiny_demo_run["config"]).read()
    assert "META_ARCHITECTURE: EncoderDecoder" in text
    assert "PSP:" not in text and "ENCNET:" not in text  # installed projects this run does not use


@pytest.mark.slow
def test_three_lines_in_a_fresh_interpreter(tiny_demo_run):
    code = (
        "import numpy as np\n"
        "from seg_engine import SegModel\n"
        f"m = SegModel.from_config({tiny_demo_run['config']!r}, weights={tiny_demo_run['weights']!r})\n"
        "labels = m.predict(np.random.default_rng(0).integers(0, 256, (50, 77, 3), dtype=np.uint8))\n"
        "print(labels.shape, labels.dtype, m.classes[0])\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(50,", "77)", "uint8", "background"]


def test_predict_is_the_argmax_of_the_predictor_and_visualize_uses_the_palette(tiny_demo_run):
    model = SegModel.from_config(tiny_demo_run["config"], weights=tiny_demo_run["weights"])
    image = np.random.default_rng(1).integers(0, 256, (41, 63, 3), dtype=np.uint8)
    labels, scores = model.predict(image, return_scores=True)
    assert labels.shape == (41, 63) and scores.shape == (7, 41, 63) and scores.dtype == np.float32
    expected = DefaultPredictor(model.cfg)(image)["sem_seg"].argmax(0).numpy()
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(model.predict(image), labels)

    labels[:5] = 255  # ignored pixels keep the image
    shown = model.visualize(image, labels, opacity=1.0)
    np.testing.assert_array_equal(shown[:5], image[:5])
    np.testing.assert_array_equal(shown[5:], np.asarray(model.palette, dtype=np.uint8)[labels[5:]])
    with pytest.raises(ValueError, match=r"H x W x 3 uint8 RGB image, got shape \(41, 63\)"):
        model.predict(image[..., 0])
