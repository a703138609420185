"""How the mmsegmentation references are configured, without mmsegmentation: the class count of their heads."""
from seg_engine.parity.mmseg import set_num_classes


def test_every_head_gets_the_class_count_but_stdcs_detail_head():
    model = {"decode_head": {"type": "FCNHead", "num_classes": 2},  # a 2-class dataset: the same count as STDCHead's
             "auxiliary_head": [{"type": "FCNHead", "num_classes": 2}, {"type": "STDCHead", "num_classes": 2}]}
    set_num_classes(model, 7)
    assert [h["num_classes"] for h in [model["decode_head"], *model["auxiliary_head"]]] == [7, 7, 2]
    listed = {"decode_head": [{"type": "A", "num_classes": 3}, {"type": "B"}]}  # a list of decode heads (cascades)
    set_num_classes(listed, 5)
    assert [h["num_classes"] for h in listed["decode_head"]] == [5, 5]
