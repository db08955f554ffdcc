"""Class activation maps: which regions of the last feature map a class relies on.

Grad-CAM (Selvaraju et al. 2017), in the steps of seed 001:

1. take the feature maps ``A`` (``h x w x K``) of the last conv layer,
2. take the gradient of the target (a class logit) with respect to them,
3. average each channel's gradient over the positions: one weight per channel,
4. ``ReLU(sum_k weight_k * A_k)``: where the evidence *for* the class is,
5. upsample the ``h x w`` map to the image and overlay it.

:class:`CAMBase` does steps 1, 2, 4 and 5; a method only says how the channels
are weighted (step 3), as in the ``pytorch-grad-cam`` package. Guided Grad-CAM
multiplies the upsampled map with guided backprop, for a sharp and
class-specific picture.

The layer defaults to the feature map the classifier's global pooling reads
(:func:`default_cam_layer`): ``head/Relu6`` (7x7x1280) on EfficientNet-Lite0,
``mixed_10/join`` (8x8x2048) on Inception v3. When the logits are a linear
function of that pooled map, as in both models, the Grad-CAM weights are the
classifier weights divided by ``h * w`` and Grad-CAM equals the original CAM
(Zhou et al. 2016).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .backprop import ModelVariants, model_variants, target_gradients
from .model import Inception
from .saliency import GuidedBackprop, reduce_channels
from .targets import Network, Target


def default_cam_layer(net: Network) -> str:
    """Name of the last spatial feature map: walk up from the transfer (pooled) layer to the
    first 4-D tensor larger than 1x1. Works for any model whose ``transfer_layer`` is fed by
    a global pool, without naming layers per model."""
    tensor = net.transfer_layer
    for _ in range(10):  # the pool is one or two ops away; a longer walk means a wrong graph
        shape = tensor.shape
        if shape.rank == 4 and shape[1] is not None and shape[1] * shape[2] > 1:
            return tensor.name
        if not tensor.op.inputs:
            break
        tensor = tensor.op.inputs[0]
    raise ValueError(f"could not find a spatial feature map feeding {net.transfer_layer.name}; "
                     "pass the layer explicitly")


def upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of ``(h, w)`` or ``(B, h, w)`` maps to ``size`` = (H, W), pixel centres aligned."""
    from PIL import Image

    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim == 2:
        return upsample(maps[np.newaxis], size)[0]
    height, width = size
    return np.stack([np.asarray(Image.fromarray(m, mode="F").resize((width, height), Image.BILINEAR))
                     for m in maps])


class CAMBase(ABC):
    """Feature maps weighted per channel, rectified and upsampled; subclasses choose the weights."""

    label = "CAM"

    def __init__(self, model: Inception | ModelVariants, layer: int | str | None = None):
        self.variants = model_variants(model)
        self.model = self.variants.model
        self.net = self.variants.net("vanilla")
        tensor = self.net.layer_tensor(layer if layer is not None else default_cam_layer(self.net))
        if tensor.shape.rank != 4:
            raise ValueError(f"layer {tensor.name} has shape {tensor.shape}; class activation maps "
                             "need a (batch, height, width, channels) feature map")
        self.layer = tensor.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model.name!r}, layer={self.layer!r})"

    def maps_and_gradients(self, images, target: Target | int) -> tuple[np.ndarray, np.ndarray]:
        """Feature maps ``A`` and ``d target / d A``, both ``(B, h, w, K)``."""
        _, maps, gradients = target_gradients(self.net, target, images, wrt=self.layer)
        return maps, gradients

    @abstractmethod
    def channel_weights(self, maps: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        """One weight per image and channel, ``(B, K)``."""

    def coarse_maps(self, images, target: Target | int) -> np.ndarray:
        """``ReLU(sum_k weight_k * A_k)`` at the layer's resolution, ``(B, h, w)``."""
        maps, gradients = self.maps_and_gradients(images, target)
        weights = self.channel_weights(maps, gradients)
        return np.maximum(np.einsum("bhwk,bk->bhw", maps, weights), 0.0)

    def cams(self, images, target: Target | int) -> np.ndarray:
        """Coarse maps upsampled to the input size, ``(B, H, W)``."""
        return upsample(self.coarse_maps(images, target), self.model.input_size)

    def heatmap(self, image, target: Target | int) -> np.ndarray:
        """The ``(H, W)`` map of one image (non-negative, in the layer's units)."""
        batch = self.model.prepare_images(image)
        if len(batch) != 1:
            raise ValueError(f"expected one image (H, W, 3), got a batch of {len(batch)}")
        return self.cams(batch, target)[0]

    def __call__(self, image, target: Target | int) -> np.ndarray:
        return self.heatmap(image, target)


class GradCAM(CAMBase):
    """Channel weight = the gradient averaged over positions (global average pooling)."""

    label = "Grad-CAM"

    def channel_weights(self, maps: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        return gradients.mean(axis=(1, 2))


class GuidedGradCAM(GradCAM):
    """Guided backprop times the upsampled Grad-CAM map: fine detail, but only where the class is."""

    label = "Guided Grad-CAM"

    def __init__(self, model: Inception | ModelVariants, layer: int | str | None = None):
        super().__init__(model, layer)
        self.guided = GuidedBackprop(self.variants)

    def attribution(self, image, target: Target | int) -> np.ndarray:
        """``(H, W, 3)``: the guided-backprop gradient weighted by the Grad-CAM map."""
        return self.guided.attribution(image, target) * super().heatmap(image, target)[..., None]

    def heatmap(self, image, target: Target | int) -> np.ndarray:
        return reduce_channels(self.attribution(image, target), "abs_max")
