import pytest

from seg_engine.checkpoint import WEIGHT_CONVERTERS, convert_weights, rename_keys, unwrap_state_dict


def test_rename_keys_rules_drop_and_one_based_indices():
    state = {"module.a.0.w": 1, "module.branch1.w": 2, "fc.w": 3}
    rules = [(r"module\.a\.", "backbone.a."), (r"module\.branch([1-4])\.(.+)", r"head.branches.<\1>.\2")]
    assert rename_keys(state, rules, drop=[r"fc\."]) == {"backbone.a.0.w": 1, "head.branches.0.w": 2}


def test_rename_keys_refuses_unknown_and_colliding_keys():
    with pytest.raises(KeyError, match=r"2 checkpoint keys match no rule of this layout: x\.w, y\.w"):
        rename_keys({"x.w": 1, "y.w": 2, "a.w": 3}, [(r"a\.", "b.")])
    with pytest.raises(KeyError, match="two checkpoint keys map to 'b.w'"):
        rename_keys({"a.w": 1, "c.w": 2}, [(r"[ac]\.", "b.")])


def test_unwrap_and_unknown_format():
    assert unwrap_state_dict({"state_dict": {"module.x": 1}}) == {"x": 1}
    assert unwrap_state_dict({"x": 1}) == {"x": 1}
    with pytest.raises(KeyError, match="not a registered converter"):
        convert_weights({"x": 1}, "no_such_format")


def test_registered_converter_is_applied():
    @WEIGHT_CONVERTERS.register()
    def _test_prefix_converter(state):
        return {f"backbone.{k}": v for k, v in state.items()}

    try:
        assert convert_weights({"model": {"module.c": 1}}, "_test_prefix_converter") == {"backbone.c": 1}
    finally:
        WEIGHT_CONVERTERS._obj_map.pop("_test_prefix_converter")
