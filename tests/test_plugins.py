"""A plugin in a temporary folder (not installed) registers a model and config keys and trains."""
import os
import sys
import textwrap

import pytest

from seg_engine.plugins import PluginError, load_plugin
from seg_engine.utils.testing import load_train_net

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLUGIN = textwrap.dedent(
    """
    from seg_engine.config import CfgNode, register_config
    from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder

    CALLS = []


    @register_config
    def add_toy_config(cfg):
        cfg.MODEL.TOY = CfgNode({"LOSS_SCALE": 1.0})


    @META_ARCH_REGISTRY.register()
    class ToySeg(EncoderDecoder):
        def __init__(self, cfg):
            super().__init__(cfg)
            self.scale = cfg.MODEL.TOY.LOSS_SCALE

        def losses(self, outputs, targets, batched_inputs):
            CALLS.append(self.scale)
            return {k: v * self.scale for k, v in super().losses(outputs, targets, batched_inputs).items()}
    """
)


@pytest.mark.slow
def test_folder_plugin_trains_through_train_net(tmp_path):
    project = tmp_path / "ToyProject"
    (project / "toyseg_plugin").mkdir(parents=True)
    (project / "toyseg_plugin" / "__init__.py").write_text(PLUGIN)
    train_net = load_train_net()
    args = train_net.default_argument_parser().parse_args([
        "--plugin", str(project), "--config-file", os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml"),
        "MODEL.META_ARCHITECTURE", "ToySeg", "MODEL.TOY.LOSS_SCALE", "0.5", "SOLVER.MAX_ITER", "2",
        "SOLVER.IMS_PER_BATCH", "2", "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "DATALOADER.NUM_WORKERS", "0",
        "MODEL.RESNETS.BASE_WIDTH", "8", "OUTPUT_DIR", str(tmp_path / "out"),
    ])
    try:
        train_net.main(args)
        assert sys.modules["toyseg_plugin"].CALLS == [0.5, 0.5]
        assert os.path.isfile(tmp_path / "out" / "model_final.pth")
    finally:
        from seg_engine.config.config import _CONFIG_EXTENSIONS
        from seg_engine.modeling import META_ARCH_REGISTRY

        _CONFIG_EXTENSIONS.remove(sys.modules["toyseg_plugin"].add_toy_config)
        META_ARCH_REGISTRY._obj_map.pop("ToySeg")
        sys.modules.pop("toyseg_plugin")


def test_unknown_plugin_is_a_clear_error():
    with pytest.raises(PluginError, match="no_such_plugin_xyz"):
        load_plugin("no_such_plugin_xyz")


def test_folder_without_package(tmp_path):
    with pytest.raises(PluginError, match="holds no Python package"):
        load_plugin(str(tmp_path))
