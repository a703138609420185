"""SemSegEvaluator against confusion matrices and metrics worked out by hand."""
import logging
import math
import uuid

import pytest
import torch

from seg_engine.data import MetadataCatalog
from seg_engine.evaluation import SemSegEvaluator

CLASSES = ["a", "b", "c", "d", "e"]
IGN = 255

# Two images. Class "d" (3) is predicted once but never in the ground truth; class "e" (4)
# appears nowhere; pixels labelled 255 are ignored whatever is predicted there.
GT1 = [[0, 0, 1], [1, IGN, 2]]
PRED1 = [[0, 1, 1], [1, 0, 3]]
GT2 = [[2, 2], [0, IGN]]
PRED2 = [[2, 0], [0, 1]]

EXPECTED_CM = [
    [2, 1, 0, 0, 0],
    [0, 2, 0, 0, 0],
    [1, 0, 1, 1, 0],
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0],
]
# gt counts [3, 2, 3, 0, 0], pred counts [3, 3, 1, 1, 0], tp [2, 2, 1, 0, 0], 8 valid pixels.
# union [4, 3, 3, 1, 0] -> IoU [1/2, 2/3, 1/3, 0, nan]; Acc [2/3, 1, 1/3, nan, nan].
EXPECTED = {
    "pAcc": 100 * 5 / 8,
    "mIoU": 100 * (1 / 2 + 2 / 3 + 1 / 3 + 0) / 4,
    "mAcc": 100 * (2 / 3 + 1 + 1 / 3) / 3,
    "fwIoU": 100 * (3 * (1 / 2) + 2 * (2 / 3) + 3 * (1 / 3)) / 8,
    "IoU-a": 50.0,
    "IoU-b": 100 * 2 / 3,
    "IoU-c": 100 * 1 / 3,
    "IoU-d": 0.0,
    "ACC-a": 100 * 2 / 3,
    "ACC-b": 100.0,
    "ACC-c": 100 * 1 / 3,
}


@pytest.fixture
def dataset_name():
    name = f"_test_sem_seg_eval_{uuid.uuid4().hex}"
    MetadataCatalog.get(name).set(classes=CLASSES, ignore_label=IGN)
    yield name
    MetadataCatalog.remove(name)


def make_pair(gt, pred, file_name="img.png", num_classes=len(CLASSES)):
    """An (input, output) pair whose logits argmax to ``pred``."""
    gt = torch.tensor(gt, dtype=torch.int64)
    pred = torch.tensor(pred, dtype=torch.int64)
    logits = torch.nn.functional.one_hot(pred, num_classes).permute(2, 0, 1).float() * 3.0 - 1.0
    inp = {
        "image": torch.zeros(3, *gt.shape, dtype=torch.uint8),
        "sem_seg": gt,
        "height": gt.shape[0],
        "width": gt.shape[1],
        "file_name": file_name,
    }
    return inp, {"sem_seg": logits}


def check_expected(res):
    assert list(res) == ["sem_seg"]
    m = res["sem_seg"]
    for key, value in EXPECTED.items():
        assert m[key] == pytest.approx(value), key
    assert m["num_classes_counted"] == 4
    assert isinstance(m["num_classes_counted"], int)
    assert math.isnan(m["IoU-e"])
    assert math.isnan(m["ACC-d"])
    assert math.isnan(m["ACC-e"])


def test_hand_computed_metrics_over_two_batches(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    ev.reset()
    for gt, pred, name in [(GT1, PRED1, "1.png"), (GT2, PRED2, "2.png")]:
        inp, out = make_pair(gt, pred, name)
        ev.process([inp], [out])
    res = ev.evaluate()
    check_expected(res)
    assert ev.confusion_matrix.dtype == torch.int64
    assert ev.confusion_matrix.device.type == "cpu"
    assert ev.confusion_matrix.tolist() == EXPECTED_CM


def test_keys(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    inp, out = make_pair(GT1, PRED1)
    ev.process([inp], [out])
    keys = list(ev.evaluate()["sem_seg"])
    assert keys == (
        ["pAcc", "mIoU", "mAcc", "fwIoU", "num_classes_counted"]
        + [f"IoU-{c}" for c in CLASSES]
        + [f"ACC-{c}" for c in CLASSES]
    )


def test_one_batch_of_two_equals_two_batches(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    (i1, o1), (i2, o2) = make_pair(GT1, PRED1), make_pair(GT2, PRED2)
    ev.process([i1, i2], [o1, o2])
    check_expected(ev.evaluate())
    assert ev.confusion_matrix.tolist() == EXPECTED_CM


def test_reset_clears_state(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    inp, out = make_pair([[0, 1]], [[1, 1]])
    ev.process([inp], [out])
    ev.evaluate()
    ev.reset()
    (i1, o1), (i2, o2) = make_pair(GT1, PRED1), make_pair(GT2, PRED2)
    ev.process([i1, i2], [o1, o2])
    check_expected(ev.evaluate())


def test_distributed_single_process_is_identical(dataset_name):
    results = []
    for distributed in (True, False):
        ev = SemSegEvaluator(dataset_name, distributed=distributed)
        (i1, o1), (i2, o2) = make_pair(GT1, PRED1), make_pair(GT2, PRED2)
        ev.process([i1, i2], [o1, o2])
        results.append(ev.evaluate())
        assert ev.confusion_matrix.tolist() == EXPECTED_CM
    a, b = results
    assert list(a["sem_seg"]) == list(b["sem_seg"])
    for key in a["sem_seg"]:
        va, vb = a["sem_seg"][key], b["sem_seg"][key]
        assert va == vb or (math.isnan(va) and math.isnan(vb)), key


def test_explicit_args_override_metadata(dataset_name):
    # ignore_label 4 overrides 255 from the metadata; with num_classes 4, 4 is not a class.
    ev = SemSegEvaluator(dataset_name, num_classes=4, ignore_label=4)
    inp, out = make_pair([[0, 4], [1, 3]], [[0, 2], [1, 2]], num_classes=4)
    ev.process([inp], [out])
    m = ev.evaluate()["sem_seg"]
    assert ev.confusion_matrix.tolist() == [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 1, 0],
    ]
    # union [1, 1, 1, 1] -> IoU [1, 1, 0, 0]; metadata has 5 names, so classes are named by index.
    assert m["mIoU"] == pytest.approx(50.0)
    assert m["pAcc"] == pytest.approx(100 * 2 / 3)
    assert m["IoU-2"] == 0.0
    assert math.isnan(m["ACC-2"])
    assert m["num_classes_counted"] == 4


def test_predicted_but_absent_class_is_counted_with_zero_iou(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    inp, out = make_pair([[0, 0]], [[0, 2]])
    ev.process([inp], [out])
    m = ev.evaluate()["sem_seg"]
    # union: a = 2, c = 1 -> IoU a 1/2, c 0; mIoU over the two counted classes.
    assert m["num_classes_counted"] == 2
    assert m["IoU-c"] == 0.0
    assert math.isnan(m["ACC-c"])
    assert m["mIoU"] == pytest.approx(25.0)
    assert m["mAcc"] == pytest.approx(50.0)
    assert m["fwIoU"] == pytest.approx(50.0)


def test_all_ignored_gives_nan_and_warns(dataset_name, caplog):
    ev = SemSegEvaluator(dataset_name)
    inp, out = make_pair([[IGN, IGN]], [[0, 1]])
    ev.process([inp], [out])
    with caplog.at_level(logging.WARNING, logger="seg_engine.evaluation"):
        m = ev.evaluate()["sem_seg"]
    assert "no valid" in caplog.text
    for key, value in m.items():
        if key == "num_classes_counted":
            assert value == 0
        else:
            assert math.isnan(value), key


def test_evaluate_without_any_image(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    ev.reset()
    m = ev.evaluate()["sem_seg"]
    assert math.isnan(m["mIoU"]) and math.isnan(m["pAcc"])
    assert ev.confusion_matrix.tolist() == [[0] * 5] * 5


def test_shape_mismatch_names_file(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    inp, _ = make_pair([[0, 1, 2]], [[0, 1, 2]], file_name="dir/wrong_size.png")
    _, out = make_pair([[0, 1], [2, 3]], [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="wrong_size.png") as info:
        ev.process([inp], [out])
    assert "(1, 3)" in str(info.value) and "(2, 2)" in str(info.value)


def test_out_of_range_label_names_file_and_values(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    inp, out = make_pair([[0, 7], [-1, IGN]], [[0, 1], [2, 3]], file_name="bad_label.png")
    good = make_pair(GT1, PRED1, file_name="good.png")
    ev.process([good[0], inp], [good[1], out])  # checked on the device: reported by evaluate()
    with pytest.raises(ValueError, match="bad_label.png") as info:
        ev.evaluate()
    assert "[-1, 7]" in str(info.value) and "outside [0, 5) that are not the ignore label 255" in str(info.value)


def test_wrong_number_of_score_channels(dataset_name):
    ev = SemSegEvaluator(dataset_name)
    inp, out = make_pair([[0, 1]], [[0, 1]], file_name="chan.png", num_classes=3)
    with pytest.raises(ValueError, match="chan.png"):
        ev.process([inp], [out])


def test_log_table(dataset_name, caplog):
    ev = SemSegEvaluator(dataset_name)
    (i1, o1), (i2, o2) = make_pair(GT1, PRED1), make_pair(GT2, PRED2)
    ev.process([i1, i2], [o1, o2])
    with caplog.at_level(logging.INFO, logger="seg_engine.evaluation"):
        ev.evaluate()
    text = caplog.text
    assert "4 of 5 classes counted" in text
    assert "mIoU 37.50" in text
    table_row_e = next(line for line in text.splitlines() if line.strip().startswith("|") and " e " in line)
    assert table_row_e.count("-") >= 2


def test_missing_classes_requires_num_classes():
    name = f"_test_sem_seg_eval_{uuid.uuid4().hex}"
    try:
        with pytest.raises(ValueError, match="num_classes"):
            SemSegEvaluator(name)
        ev = SemSegEvaluator(name, num_classes=2)
        assert ev.ignore_label == 255
        assert ev.class_names == ["0", "1"]
    finally:
        MetadataCatalog.remove(name)
