"""Visual analysis of convolutional networks on TensorFlow 2.

The public names follow the classic "visual analysis" tutorial:

>>> import inception
>>> inception.maybe_download()          # Inception v3 (needs internet), or skip it:
>>> model = inception.Inception()       # Inception v3 if downloaded, else EfficientNet-Lite0
>>> names = inception.get_conv_layer_names()
>>> image = inception.optimize_image(conv_id=5, feature=2, num_iterations=30)
>>> inception.plot_image(image)
"""
from .backprop import RULES, ModelVariants, model_variants, target_gradients
from .cam import GradCAM, GuidedGradCAM, default_cam_layer
from .config import data_dir
from .download import DownloadError, maybe_download
from .images import load_image, resize_image, sample_photo_path
from .model import EFFICIENTNET_LITE0, INCEPTION_V3, MODEL_NAMES, Inception, default_model
from .feature_maps import plot_channel_grid, rectified_layer_names, sparsity_profile
from .overlays import overlay, plot_overlays
from .plotting import normalize_image, plot_image, plot_images
from .saliency import Deconvnet, GuidedBackprop, IntegratedGradients, SmoothGrad, VanillaGradient
from .sanity import cascading_randomization, localisation_scores, sample_composite, two_photo_composite
from .targets import Channel, ClassLogit, LogitDifference, top_classes
from .visual_analysis import get_conv_layer_names, optimize_features, optimize_image, optimize_images

from . import optvis  # noqa: E402 - readable feature visualisation and DeepDream (notebooks 07-08)

__all__ = [
    # the classic tutorial
    "DownloadError", "EFFICIENTNET_LITE0", "INCEPTION_V3", "Inception", "MODEL_NAMES", "data_dir",
    "default_model", "get_conv_layer_names", "load_image", "maybe_download", "normalize_image",
    "optimize_features", "optimize_image", "optimize_images", "plot_image", "plot_images",
    "resize_image", "sample_photo_path",
    # feature maps, saliency, Grad-CAM and their checks
    "Channel", "ClassLogit", "Deconvnet", "GradCAM", "GuidedBackprop", "GuidedGradCAM",
    "IntegratedGradients", "LogitDifference", "ModelVariants", "RULES", "SmoothGrad", "VanillaGradient",
    "cascading_randomization", "default_cam_layer", "localisation_scores", "model_variants", "overlay",
    "plot_channel_grid", "plot_overlays", "rectified_layer_names", "sample_composite",
    "sparsity_profile", "target_gradients", "top_classes", "two_photo_composite",
    # readable feature visualisation, DeepDream
    "optvis",
]
