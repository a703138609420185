"""tools/predict.py: label PNGs and overlays of images, folders, globs and videos."""
import os

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from seg_engine import SegModel
from seg_engine.data import DatasetCatalog
from seg_engine.data.io import read_mask
from seg_engine.deploy import expand_inputs, predict_to_folder
from seg_engine.deploy.predict import write_then_rename
from seg_engine.evaluation.sem_seg_evaluation import compute_metrics
from seg_engine.utils.testing import load_tool


def load_predict_tool():
    return load_tool("predict")


@pytest.mark.slow
def test_label_pngs_score_exactly_the_evaluation_miou(tiny_demo_run, tmp_path):
    """The run's final evaluation (the protocol of --eval-only, one image per batch) and the label PNGs
    that predict.py writes for shapes_val, scored against its masks, give the same mIoU."""
    dicts = DatasetCatalog.get("shapes_val")
    folder = os.path.dirname(dicts[0]["file_name"])
    tool = load_predict_tool()
    code = tool.run_tool(tool.main, tool.parser(), [
        "--config-file", tiny_demo_run["config"], "--weights", tiny_demo_run["weights"], "--input", folder,
        "--output", str(tmp_path), "--opacity", "0.3"])
    assert code == 0
    matrix = torch.zeros(7, 7, dtype=torch.int64)
    for d in dicts:
        name = os.path.splitext(os.path.basename(d["file_name"]))[0] + ".png"
        pred = np.asarray(Image.open(tmp_path / "labels" / name))
        gt = read_mask(d["sem_seg_file_name"]).astype(np.int64)
        valid = gt < 7
        matrix += torch.bincount(torch.from_numpy(gt[valid] * 7 + pred[valid]), minlength=49).view(7, 7)
        assert (tmp_path / "overlay" / name).is_file()
    expected = tiny_demo_run["results"]["sem_seg"]["mIoU"]
    assert compute_metrics(matrix, [str(i) for i in range(7)])["mIoU"] == expected


def test_inputs_image_glob_video_and_scores(tiny_demo_run, tmp_path):
    model = SegModel.from_config(tiny_demo_run["config"], weights=tiny_demo_run["weights"])
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(3)]
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"im{i}.png")
    assert [n for _, n in expand_inputs(str(tmp_path / "im*.png"))[0]] == ["im0.png", "im1.png", "im2.png"]

    written = predict_to_folder(model, str(tmp_path / "im1.png"), str(tmp_path / "one"), save_scores=True,
                                progress=False).written
    assert written == [str(tmp_path / "one" / "labels" / "im1.png")]
    scores = np.load(tmp_path / "one" / "scores" / "im1.npy")
    assert scores.shape == (7, 48, 64) and scores.dtype == np.float16
    np.testing.assert_array_equal(np.asarray(Image.open(written[0])), model.predict(frames[1]))

    video = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 5, (64, 48))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    written = predict_to_folder(model, video, str(tmp_path / "video"), progress=False).written
    assert [os.path.relpath(p, tmp_path / "video" / "labels") for p in written] == [
        os.path.join("clip", f"{i:06d}.png") for i in range(3)]
    assert (tmp_path / "video" / "overlay" / "clip.mp4").stat().st_size > 0


def test_a_missing_input_is_one_line(tiny_demo_run, tmp_path, capsys):
    tool = load_predict_tool()
    code = tool.run_tool(tool.main, tool.parser(), [
        "--config-file", tiny_demo_run["config"], "--weights", tiny_demo_run["weights"],
        "--input", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "nowhere: no such file or folder" in err[0]


def six_images_one_corrupt(folder):
    """a.png .. f.png, c.png cut after 100 bytes (a truncated download)."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for stem in "abcdef":
        Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(folder / f"{stem}.png")
    (folder / "c.png").write_bytes((folder / "c.png").read_bytes()[:100])
    return folder / "c.png"


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(d, n), folder) for d, _, names in os.walk(folder) for n in names)


def run_predict(tiny_demo_run, capsys, *args):
    tool = load_predict_tool()
    capsys.readouterr()
    code = tool.run_tool(tool.main, tool.parser(), [
        "--config-file", tiny_demo_run["config"], "--weights", tiny_demo_run["weights"], *args])
    captured = capsys.readouterr()
    return code, [line for line in captured.err.splitlines() if line.strip() and not line.startswith("predict:")]


def test_a_corrupt_file_in_a_folder_is_named_and_the_rest_predicted(tiny_demo_run, tmp_path, capsys):
    corrupt = six_images_one_corrupt(tmp_path / "photos")
    out = tmp_path / "out"
    code, err = run_predict(tiny_demo_run, capsys, "--input", str(tmp_path / "photos"), "--output", str(out))
    assert code == 2
    assert err == [
        f"skipped: cannot decode image {corrupt}: the file is truncated, corrupt or not an image",
        "predict.py: error: 1 of 6 inputs skipped (each named above); the other 5 were predicted",
    ]
    assert files_under(out) == [f"{kind}/{stem}.png" for kind in ("labels", "overlay") for stem in "abdef"]
    for stem in "abdef":  # every file decodes completely
        assert np.asarray(Image.open(out / "labels" / f"{stem}.png")).shape == (40, 56)


def test_strict_stops_at_the_first_bad_input(tiny_demo_run, tmp_path, capsys):
    corrupt = six_images_one_corrupt(tmp_path / "photos")
    out = tmp_path / "out"
    code, err = run_predict(tiny_demo_run, capsys, "--input", str(tmp_path / "photos"), "--output", str(out), "--strict")
    assert code == 2
    assert err == [f"predict.py: error: cannot decode image {corrupt}: the file is truncated, corrupt or not an "
                   "image; stopped at the first bad input (--strict), 2 predictions written before it"]
    assert files_under(out) == ["labels/a.png", "labels/b.png", "overlay/a.png", "overlay/b.png"]


def test_a_glob_names_what_is_not_an_image(tiny_demo_run, tmp_path, capsys):
    Image.fromarray(np.zeros((40, 56, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    code, err = run_predict(tiny_demo_run, capsys, "--input", str(tmp_path / "*"), "--output", str(tmp_path / "out"))
    assert code == 2
    assert err[0] == f"skipped: cannot decode image {tmp_path / 'empty.jpg'}: the file is truncated, corrupt or not an image"
    assert err[1].startswith(f"skipped: {tmp_path / 'notes.txt'} is not an image (.jpg, .jpeg, .png")
    assert err[2] == "predict.py: error: 2 of 3 inputs skipped (each named above); the other 1 were predicted"


def test_two_inputs_with_one_output_name_are_refused_before_writing(tiny_demo_run, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    for ext in ("png", "jpg"):
        Image.fromarray(np.zeros((40, 56, 3), np.uint8)).save(tmp_path / "in" / f"a.{ext}")
    code, err = run_predict(tiny_demo_run, capsys, "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"))
    assert code == 2 and len(err) == 1
    assert f"{tmp_path / 'in' / 'a.jpg'} and {tmp_path / 'in' / 'a.png'} would both write a.png" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_write_that_fails_half_way_leaves_no_file(tmp_path):
    def half(f):
        f.write(b"\x89PNG partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_then_rename(str(tmp_path / "labels" / "a.png"), half)
    assert os.listdir(tmp_path / "labels") == []
    write_then_rename(str(tmp_path / "labels" / "a.png"), lambda f: f.write(b"complete"))
    assert os.listdir(tmp_path / "labels") == ["a.png"] and (tmp_path / "labels" / "a.png").read_bytes() == b"complete"
