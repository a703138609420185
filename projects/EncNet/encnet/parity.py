"""The references EncNet's converters are checked against (``tools/check_parity.py NAME``): PyTorch-Encoding's EncNet
and FastFCN's EncNet+JPU from checkouts, mmsegmentation's EncNet and FastFCN EncNet."""
from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.checkout import import_from_checkout
from seg_engine.parity.mmseg import mmseg_reference
from seg_engine.parity.pytorch_encoding import MARKER, REPOSITORY, import_encoding, without_download

SEGMENTATION = "the segmentation logits (the first of its outputs) at the input size (its forward upsamples them, " \
               "align_corners=True)"


def pytorch_encoding_encnet(root):
    """PyTorch-Encoding's get_encnet(dataset='ade20k', backbone='resnet50s') with the auxiliary and SE heads (the
    model of encnet_resnet50s_ade), its backbone built without the ImageNet download."""
    import_encoding(root)
    without_download(import_from_checkout(root, "encoding.models.sseg.base"), "get_backbone")
    encnet = import_from_checkout(root, "encoding.models.sseg.encnet")
    return encnet.get_encnet(dataset="ade20k", backbone="resnet50s", pretrained=False, aux=True, se_loss=True)


def fastfcn_encnet(root):
    """FastFCN's EncNet+JPU ResNet-50 as its ADE20K script builds it (--jpu JPU --aux --se-loss, not dilated),
    its backbone built without the ImageNet download."""
    encoding = import_from_checkout(root, "encoding")
    without_download(encoding.dilated, "resnet50", "resnet101", "resnet152")
    return encoding.models.get_segmentation_model("encnet", dataset="ade20k", backbone="resnet50", dilated=False,
                                                  lateral=False, jpu="JPU", aux=True, se_loss=True,
                                                  norm_layer=encoding.nn.BatchNorm)


def first_output(model, images):
    return model(normalized(images))[0]


register_parity_reference(ParityReference(
    name="pytorch_encoding_encnet", converter="pytorch_encoding_encnet",
    reference="PyTorch-Encoding get_encnet(dataset='ade20k', backbone='resnet50s', aux=True, se_loss=True)",
    requires=Requirement(repository=REPOSITORY, marker=MARKER), build=pytorch_encoding_encnet, logits=first_output,
    compared=SEGMENTATION,
    notes="its compiled Encoding functions are written with tensor operations and its other compiled functions and "
          "version.py stood in for (seg_engine.parity.pytorch_encoding); eval mode, where its SyncBatchNorm is a "
          "BatchNorm"))
register_parity_reference(ParityReference(
    name="fastfcn_encnet", converter="fastfcn_encnet",
    reference="FastFCN get_segmentation_model('encnet', dataset='ade20k', backbone='resnet50', jpu='JPU', aux=True, "
              "se_loss=True)",
    requires=Requirement(repository="wuhuikai/FastFCN", marker="encoding/models/encnet.py"), build=fastfcn_encnet,
    logits=first_output, compared=SEGMENTATION))
register_parity_reference(mmseg_reference("mmseg_encnet", "encnet/encnet_r50-d8_4xb4-80k_ade20k-512x512.py"))
register_parity_reference(mmseg_reference("mmseg_fastfcn", "fastfcn/fastfcn_r50-d32_jpu_enc_4xb4-80k_ade20k-512x512.py"))
