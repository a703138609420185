import pytest

from seg_engine.config import CfgNode, ConfigError, get_cfg, register_config
from seg_engine.config.config import _CONFIG_EXTENSIONS


def write(path, text):
    path.write_text(text)
    return str(path)


def test_base_inheritance_and_overrides(tmp_path):
    base = write(tmp_path / "Base.yaml", "SOLVER:\n  BASE_LR: 0.02\n  MAX_ITER: 100\nMODEL:\n  NUM_CLASSES: 7\n")
    child = write(tmp_path / "child.yaml", "_BASE_: Base.yaml\nSOLVER:\n  MAX_ITER: 50\n")
    cfg = get_cfg()
    cfg.merge_from_file(child)
    cfg.merge_from_list(["INPUT.TRAIN.CROP_SIZE", "(65, 65)", "SOLVER.BASE_LR", "0.5"])
    assert cfg.SOLVER.MAX_ITER == 50
    assert cfg.SOLVER.BASE_LR == 0.5
    assert cfg.MODEL.NUM_CLASSES == 7
    assert tuple(cfg.INPUT.TRAIN.CROP_SIZE) == (65, 65)


def test_unknown_key_in_base_file_names_that_file_and_close_keys(tmp_path):
    base = write(tmp_path / "Base.yaml", "SOLVER:\n  BASE_RL: 0.02\n")
    child = write(tmp_path / "child.yaml", "_BASE_: Base.yaml\n")
    with pytest.raises(ConfigError) as e:
        get_cfg().merge_from_file(child)
    msg = str(e.value)
    assert base in msg and "SOLVER.BASE_RL" in msg and "SOLVER.BASE_LR" in msg
    assert "\n" not in msg


def test_unknown_key_on_command_line():
    with pytest.raises(ConfigError, match=r"command line: unknown config key MODEL\.NUM_CLASSE; did you mean MODEL\.NUM_CLASSES"):
        get_cfg().merge_from_list(["MODEL.NUM_CLASSE", "3"])


def test_wrong_type_names_key_and_file(tmp_path):
    f = write(tmp_path / "bad.yaml", "SOLVER:\n  MAX_ITER: ten\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: SOLVER\.MAX_ITER must be of type int"):
        get_cfg().merge_from_file(f)
    with pytest.raises(ConfigError, match=r"command line: MODEL\.RESNETS\.DEPTH must be of type int"):
        get_cfg().merge_from_list(["MODEL.RESNETS.DEPTH", "deep"])


def test_group_given_a_value_is_rejected():
    with pytest.raises(ConfigError, match="group of keys"):
        get_cfg().merge_from_list(["MODEL.RESNETS", "3"])


def test_odd_number_of_overrides():
    with pytest.raises(ConfigError, match="KEY VALUE pairs"):
        get_cfg().merge_from_list(["SOLVER.MAX_ITER"])


def test_registered_extension_adds_keys_before_merge(tmp_path):
    @register_config
    def add_keys(cfg):
        cfg.MODEL.TEST_PLUGIN_KEY = CfgNode({"BINS": (1, 2, 3, 6)})

    try:
        f = write(tmp_path / "p.yaml", "MODEL:\n  TEST_PLUGIN_KEY:\n    BINS: [1, 2]\n")
        cfg = get_cfg()
        cfg.merge_from_file(f)
        assert list(cfg.MODEL.TEST_PLUGIN_KEY.BINS) == [1, 2]
    finally:
        _CONFIG_EXTENSIONS.remove(add_keys)
    assert "TEST_PLUGIN_KEY" not in get_cfg().MODEL


def test_get_cfg_returns_independent_copies():
    a, b = get_cfg(), get_cfg()
    a.SOLVER.BASE_LR = 1.0
    assert b.SOLVER.BASE_LR != 1.0


def test_a_loss_scale_needs_float16_and_a_head_dilation_is_positive():
    from seg_engine.config import validate_values

    cfg = get_cfg()
    cfg.SOLVER.AMP.LOSS_SCALE = 512.0
    with pytest.raises(ConfigError, match=r"SOLVER.AMP.LOSS_SCALE must be 0 unless SOLVER.AMP.ENABLED is True with "
                                          r"SOLVER.AMP.DTYPE float16 .*got 512.0"):
        validate_values(cfg)
    cfg.SOLVER.AMP.ENABLED = True
    validate_values(cfg)
    cfg.SOLVER.AMP.DTYPE = "bfloat16"
    with pytest.raises(ConfigError, match="SOLVER.AMP.LOSS_SCALE must be 0 unless"):
        validate_values(cfg)
    cfg.SOLVER.AMP.LOSS_SCALE = 0.0
    cfg.MODEL.AUX_HEAD.DILATION = 0
    with pytest.raises(ConfigError, match="MODEL.AUX_HEAD.DILATION must be a positive integer, got 0"):
        validate_values(cfg)
