"""The Swin Transformer (Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted
Windows", ICCV 2021) as a segmentation backbone, laid out as the authors' segmentation code.

Parameter names follow SwinTransformer/Swin-Transformer-Semantic-Segmentation (and the copies in its detection and mask-classification descendants):
``patch_embed.{proj,norm}``, ``layers.<i>.blocks.<j>.{norm1, attn.{qkv, proj, relative_position_bias_table},
norm2, mlp.{fc1, fc2}}``, ``layers.<i>.downsample.{norm, reduction}`` (the patch merging at the end of
stage i) and one output LayerNorm ``norm<i>`` per returned stage. Stages are reported as ``res2``..``res5``
(strides 4..32, channels C, 2C, 4C, 8C) like the ResNet's.

Any input size works as in the references: the image is padded bottom/right to a multiple of the patch
size, every block pads its map to a multiple of the window (zeros after its first norm, cropped after
the attention) and patch merging pads odd maps by one row/column. Every other block shifts its windows
by half a window, also in stages no larger than one window (the authors, mmsegmentation and transformers'
``SwinBackbone``, which partitions always; transformers' classifier ``SwinModel`` instead shrinks the
window to such a stage and does not shift it).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import StochasticDepth

from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec

__all__ = ["SwinTransformer", "SwinBlock", "WindowAttention", "PatchMerging", "build_swin_backbone"]

STAGE_NAMES = ("res2", "res3", "res4", "res5")
# The value added to the attention logits of token pairs that come from different regions of a shifted
# window (the references' -100, not -inf: a row of the mask is never fully masked).
MASK_VALUE = -100.0


def relative_position_index(window_size: int) -> torch.Tensor:
    """(ws*ws, ws*ws) indices into the (2ws-1)^2 bias table: the row-major offset (dh, dw) of two tokens."""
    coords = torch.stack(torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing="ij")).flatten(1)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window_size - 1)
    return relative[..., 0] * (2 * window_size - 1) + relative[..., 1]


def drop_path_rates(last: float, count: int) -> List[float]:
    """``count`` stochastic-depth rates rising linearly from 0 to ``last`` (torch.linspace's values,
    computed without tensors so that models build on the meta device)."""
    return [last * i / (count - 1) if count > 1 else 0.0 for i in range(count)]


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """(B, H, W, C) with H, W multiples of the window -> (B, windows, ws*ws, C), windows in row-major order."""
    b, h, w, c = x.shape
    x = x.view(b, h // window_size, window_size, w // window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, -1, window_size * window_size, c)


def window_reverse(windows: torch.Tensor, window_size: int, h: int, w: int) -> torch.Tensor:
    """The inverse of :func:`window_partition`."""
    b, c = windows.shape[0], windows.shape[-1]
    x = windows.view(b, h // window_size, w // window_size, window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)


def shifted_window_mask(h: int, w: int, window_size: int, shift: int, device: torch.device) -> torch.Tensor:
    """(windows, ws*ws, ws*ws): 0 between tokens of the same region of the rolled map, MASK_VALUE across
    regions (the three bands [0, -ws), [-ws, -shift), [-shift, end) of each axis)."""
    region = torch.zeros(h, w, device=device)
    bands = (slice(0, -window_size), slice(-window_size, -shift), slice(-shift, None))
    for i, rows in enumerate(bands):
        for j, cols in enumerate(bands):
            region[rows, cols] = 3 * i + j
    windows = window_partition(region.view(1, h, w, 1), window_size)[0, ..., 0]
    different = windows[:, None, :] != windows[:, :, None]
    return torch.zeros(different.shape, device=device).masked_fill(different, MASK_VALUE)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows, with a learned bias per head and relative offset."""

    def __init__(self, dim: int, num_heads: int, window_size: int, qkv_bias: bool = True,
                 attn_drop: float = 0.0, proj_drop: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"MODEL.SWIN: {dim} channels do not split into {num_heads} heads")
        self.num_heads, self.window_size, self.attn_drop = num_heads, window_size, attn_drop
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        # Derived from the window size, so not saved: checkpoints that hold it load through their converter.
        self.register_buffer("relative_position_index", relative_position_index(window_size), persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``x``: (B, windows, N, C); ``mask``: (windows, N, N) or None."""
        b, nw, n, c = x.shape
        h = self.num_heads
        qkv = self.qkv(x).view(b, nw, n, 3, h, c // h).permute(3, 0, 1, 4, 2, 5)  # 3, B, windows, heads, N, C/heads
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, h).permute(2, 0, 1)
        bias = bias.to(qkv.dtype)[None]  # 1, heads, N, N
        # 4-D attention (what ONNX exports): windows into the batch, or with a mask per window into the heads.
        if mask is None:
            q, k, v = qkv.reshape(3, b * nw, h, n, c // h)
        else:
            q, k, v = qkv.reshape(3, b, nw * h, n, c // h)
            bias = (bias + mask[:, None].to(bias.dtype)).reshape(1, nw * h, n, n)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=self.attn_drop if self.training else 0.0)
        return self.proj_drop(self.proj(out.view(b, nw, h, n, c // h).transpose(2, 3).reshape(b, nw, n, c)))


class Mlp(nn.Module):
    """fc1 -> GELU -> dropout -> fc2 -> dropout."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class SwinBlock(nn.Module):
    """x + attention(norm1(x)) over (shifted) windows, then x + mlp(norm2(x)); maps are (B, H, W, C)."""

    def __init__(self, dim: int, num_heads: int, window_size: int = 7, shift: int = 0, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0) -> None:
        super().__init__()
        if not 0 <= shift < window_size:
            raise ValueError(f"a window shift must be in [0, {window_size}), got {shift}")
        self.window_size, self.shift = window_size, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, num_heads, window_size, qkv_bias, attn_drop, drop)
        self.drop_path = StochasticDepth(drop_path, "row")
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h, w, _ = x.shape
        ws, shift = self.window_size, self.shift
        y = self.norm1(x)
        ph, pw = (ws - h % ws) % ws, (ws - w % ws) % ws
        y = F.pad(y, (0, 0, 0, pw, 0, ph))
        mask = None
        if shift:
            y = torch.roll(y, shifts=(-shift, -shift), dims=(1, 2))
            mask = shifted_window_mask(h + ph, w + pw, ws, shift, y.device)
        y = window_reverse(self.attn(window_partition(y, ws), mask), ws, h + ph, w + pw)
        if shift:
            y = torch.roll(y, shifts=(shift, shift), dims=(1, 2))
        x = x + self.drop_path(y[:, :h, :w])
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """2x2 neighbours concatenated (in the authors' order: (0,0), (1,0), (0,1), (1,1)), normed and
    projected from 4C to 2C; odd maps are padded by a zero row/column at the bottom/right."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        h, w = x.shape[1:3]
        x = x.view(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).reshape(b, h // 2, w // 2, 4 * c)
        return self.reduction(self.norm(x))


class PatchEmbed(nn.Module):
    """Non-overlapping patches (a strided conv, the input padded bottom/right to the patch size), then a norm."""

    def __init__(self, patch_size: int, embed_dim: int, norm: bool = True) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(3, embed_dim, patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dim) if norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        p = self.patch_size
        x = F.pad(x, (0, (p - w % p) % p, 0, (p - h % p) % p))
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


class SwinStage(nn.Module):
    """``blocks`` (even ones unshifted, odd ones shifted by half a window), then an optional ``downsample``."""

    def __init__(self, blocks: List[SwinBlock], downsample: Optional[PatchMerging]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class SwinTransformer(Backbone):
    """Swin-T/S/B/L with the authors' segmentation outputs: a LayerNorm on each returned stage.

    Args:
        embed_dim: channels C of the first stage (T, S: 96; B: 128; L: 192); stage i has C * 2^i.
        depths: blocks per stage (T: 2, 2, 6, 2; S, B, L: 2, 2, 18, 2).
        num_heads: attention heads per stage (T, S: 3, 6, 12, 24; B: 4, 8, 16, 32; L: 6, 12, 24, 48).
        window_size: side of the attention windows (7; 12 for the 384-pixel ImageNet-22k models).
        mlp_ratio: hidden width of the MLPs over the channels.
        qkv_bias: biases on the query, key and value projections.
        patch_size: stride of the patch embedding (4).
        patch_norm: a LayerNorm after the patch embedding.
        drop_rate, attn_drop_rate: dropout after the embedding/projections and on the attention weights.
        drop_path_rate: stochastic depth, rising linearly from 0 to this over all blocks.
        out_features: among "res2".."res5"; stages past the deepest one are not built.
    """

    def __init__(
        self,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        patch_size: int = 4,
        patch_norm: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.3,
        out_features: Sequence[str] = STAGE_NAMES,
    ) -> None:
        super().__init__()
        depths, num_heads = tuple(depths), tuple(num_heads)
        if len(depths) != 4 or len(num_heads) != 4 or min(depths + num_heads) < 1:
            raise ValueError(
                f"MODEL.SWIN.DEPTHS and NUM_HEADS must be 4 positive ints each, got {list(depths)} and {list(num_heads)}"
            )
        if window_size < 1 or patch_size < 1:
            raise ValueError(f"MODEL.SWIN.WINDOW_SIZE and PATCH_SIZE must be positive, got {window_size} and {patch_size}")
        unknown = [name for name in out_features if name not in STAGE_NAMES]
        if unknown or not out_features:
            raise ValueError(
                f"MODEL.SWIN.OUT_FEATURES must be a non-empty subset of {STAGE_NAMES}, got {list(out_features)!r}"
            )
        self._out_features = [name for name in STAGE_NAMES if name in out_features]
        num_stages = max(STAGE_NAMES.index(name) for name in self._out_features) + 1
        self.patch_embed = PatchEmbed(patch_size, embed_dim, patch_norm)
        self.pos_drop = nn.Dropout(drop_rate)
        rates = drop_path_rates(drop_path_rate, sum(depths))
        self.layers = nn.ModuleList()
        self._out_shapes: Dict[str, ShapeSpec] = {}
        for i in range(num_stages):
            dim = embed_dim * 2**i
            blocks = [
                SwinBlock(dim, num_heads[i], window_size, 0 if j % 2 == 0 else window_size // 2, mlp_ratio, qkv_bias,
                          drop_rate, attn_drop_rate, rates[sum(depths[:i]) + j])
                for j in range(depths[i])
            ]
            self.layers.append(SwinStage(blocks, PatchMerging(dim) if i + 1 < num_stages else None))
            self._out_shapes[STAGE_NAMES[i]] = ShapeSpec(channels=dim, stride=patch_size * 2**i)
        for i, name in enumerate(STAGE_NAMES[:num_stages]):
            if name in self._out_features:
                self.add_module(f"norm{i}", nn.LayerNorm(embed_dim * 2**i))
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        """The authors': truncated normal (std 0.02) linear weights and bias tables, zero biases, unit norms."""
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, WindowAttention):
            nn.init.trunc_normal_(m.relative_position_bias_table, std=0.02)

    @classmethod
    def from_config(cls, cfg) -> Dict[str, object]:
        """The constructor's arguments from ``cfg.MODEL.SWIN``."""
        s = cfg.MODEL.SWIN
        return dict(
            embed_dim=s.EMBED_DIM, depths=tuple(s.DEPTHS), num_heads=tuple(s.NUM_HEADS), window_size=s.WINDOW_SIZE,
            mlp_ratio=s.MLP_RATIO, qkv_bias=s.QKV_BIAS, patch_size=s.PATCH_SIZE, patch_norm=s.PATCH_NORM,
            drop_rate=s.DROP_RATE, attn_drop_rate=s.ATTN_DROP_RATE, drop_path_rate=s.DROP_PATH_RATE,
            out_features=list(s.OUT_FEATURES),
        )

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.pos_drop(self.patch_embed(x))
        outputs = {}
        for i, stage in enumerate(self.layers):
            x = stage(x)
            name = STAGE_NAMES[i]
            if name in self._out_features:
                outputs[name] = getattr(self, f"norm{i}")(x).permute(0, 3, 1, 2).contiguous()
            if stage.downsample is not None:
                x = stage.downsample(x)
        return outputs


@BACKBONE_REGISTRY.register()
def build_swin_backbone(cfg) -> SwinTransformer:
    """The Swin Transformer described by ``cfg.MODEL.SWIN``."""
    return SwinTransformer(**SwinTransformer.from_config(cfg))
