"""The references RefineNet's converters are checked against (``tools/check_parity.py NAME``): DrSleep's
refinenet-pytorch RefineNet-101 and light-weight-refinenet RF-LW-101 and RF-LW-50, from checkouts."""
from seg_engine.parity import ParityReference, Requirement, decode_head_logits, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.checkout import import_from_checkout

AT_QUARTER = ("the logits at 1/4 of the input, where both networks end (its test code resizes them outside the "
              "network): our decode head's against its output")


def drsleep_model(function):
    def build(root):
        return getattr(import_from_checkout(root, "models.resnet"), function)(21, imagenet=False, pretrained=False)

    return build


def logits(model, images):
    return model(normalized(images))


register_parity_reference(ParityReference(
    name="refinenet_pytorch", converter="refinenet_pytorch",
    reference="DrSleep/refinenet-pytorch models.resnet.rf101(21, imagenet=False, pretrained=False)",
    requires=Requirement(repository="DrSleep/refinenet-pytorch", marker="models/resnet.py"),
    build=drsleep_model("rf101"), logits=logits, ours=decode_head_logits, compared=AT_QUARTER))
LIGHT_WEIGHT = Requirement(repository="DrSleep/light-weight-refinenet", marker="models/resnet.py")
for name, function, opts in (("light_weight_refinenet", "rf_lw101", []),
                             ("light_weight_refinenet/rf_lw50", "rf_lw50", ["MODEL.RESNETS.DEPTH", 50])):
    register_parity_reference(ParityReference(
        name=name, converter="light_weight_refinenet",
        reference=f"DrSleep/light-weight-refinenet models.resnet.{function}(21, imagenet=False, pretrained=False)",
        requires=LIGHT_WEIGHT, build=drsleep_model(function), logits=logits, ours=decode_head_logits, opts=opts,
        compared=AT_QUARTER))
