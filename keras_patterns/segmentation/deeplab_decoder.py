"""The DeepLabV3+ decoder, wired onto an encoder's features.

The segmenter (`DeepLabV3Plus`) is three parts, as KerasHub's segmenters
are: the backbone wiring (`segmentation.backbones.build_encoder`: a
classifier dilated to the output stride, giving stride-4 and deepest
features), this decoder (ASPP context on the deepest features, upsampled
and joined with the projected stride-4 ones, refined by two 3x3 blocks,
and optionally a stride-2 refinement), and the task model that adds the
preprocessing, the logits and the resizing back to the input's size.
"""

import keras

from keras_patterns.modeling.upsampling import BilinearUpsampling
from keras_patterns.segmentation.aspp import AtrousSpatialPyramidPooling
from keras_patterns.segmentation.deeplab_v3_plus_layers import apply_block
from keras_patterns.segmentation.deeplab_v3_plus_layers import conv_bn_relu
from keras_patterns.utils.typing import Tensor


def decoder(
    low: Tensor,
    high: Tensor,
    fine: Tensor | None,
    *,
    strides: tuple[int, int, int | None],
    aspp: AtrousSpatialPyramidPooling,
    decoder_filters: int,
    low_level_filters: int,
    refine_filters: int | None,
) -> tuple[Tensor, int]:
    """DeepLabV3+'s decoder on symbolic encoder features; its output and stride.

    Args:
        low: the stride-4 features.
        high: the deepest features, at the output stride.
        fine: the stride-2 features for the refinement, or `None`.
        strides: `(low, high, fine)` strides of those features.
        aspp: the context module applied to `high`.
        decoder_filters: channels of the two decoder convolutions.
        low_level_filters: channels of the projected stride-4 features.
        refine_filters: channels of the stride-2 refinement block (used
            when `fine` is given).

    Returns:
        `(features, stride)`: the decoder's output and its stride (the
        stride-4 decoder's, or 2 after the refinement).
    """
    low_stride, high_stride, fine_stride = strides
    x = aspp(high)
    x = BilinearUpsampling(high_stride // low_stride, name="aspp_up")(x)
    low = apply_block(conv_bn_relu(low_level_filters, 1, "decoder_low_level"), low)
    x = keras.layers.Concatenate(name="decoder_concat")([x, low])
    x = apply_block(conv_bn_relu(decoder_filters, 3, "decoder_block1"), x)
    x = apply_block(conv_bn_relu(decoder_filters, 3, "decoder_block2"), x)
    stride = low_stride
    if fine is not None:
        x = apply_block(conv_bn_relu(refine_filters, 1, "refine_projection"), x)
        x = BilinearUpsampling(stride // fine_stride, name="refine_up")(x)
        fine = apply_block(
            conv_bn_relu(3 * refine_filters // 4, 1, "refine_fine"), fine
        )
        x = keras.layers.Concatenate(name="refine_concat")([x, fine])
        x = apply_block(conv_bn_relu(refine_filters, 3, "refine_block"), x)
        stride = fine_stride
    return x, stride
