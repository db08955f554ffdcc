"""Visual analysis of convolutional networks on TensorFlow 2.

The public names follow the classic "visual analysis" tutorial:

>>> import inception
>>> inception.maybe_download()          # Inception v3 (needs internet), or skip it:
>>> model = inception.Inception()       # Inception v3 if downloaded, else EfficientNet-Lite0
>>> names = inception.get_conv_layer_names()
>>> image = inception.optimize_image(conv_id=5, feature=2, num_iterations=30)
>>> inception.plot_image(image)
"""
from .config import data_dir
from .download import DownloadError, maybe_download
from .images import load_image, resize_image, sample_photo_path
from .model import EFFICIENTNET_LITE0, INCEPTION_V3, MODEL_NAMES, Inception, default_model
from .plotting import normalize_image, plot_image, plot_images
from .visual_analysis import get_conv_layer_names, optimize_features, optimize_image, optimize_images

__all__ = [
    "DownloadError", "EFFICIENTNET_LITE0", "INCEPTION_V3", "Inception", "MODEL_NAMES", "data_dir",
    "default_model", "get_conv_layer_names", "load_image", "maybe_download", "normalize_image",
    "optimize_features", "optimize_image", "optimize_images", "plot_image", "plot_images",
    "resize_image", "sample_photo_path",
]
