"""Two checks that a heatmap explains the *model*, not just the photo.

1. **Cascading model randomization** (Adebayo et al. 2018, "Sanity checks for
   saliency maps"). Replace the trained weights with random ones, from the
   top layer (the logits) down, one more layer per step, and recompute every
   method's map. A method that explains what the network learned must change
   as the network is destroyed; we measure the change as the Spearman rank
   correlation between the trained map and each randomized one (1 = same
   ranking of pixels, 0 = unrelated). A method whose correlation stays high is
   mostly showing the image (edges), whatever the weights say.

2. **Localisation on two-photo composites.** Put one photo in the left half and
   another in the right half (e.g. cat | coffee); ask each method about the
   class of one photo; measure the share of the heatmap's mass that falls in
   that photo's half. A map that ignores the class gives the two photos shares
   that add up to 1, so 0.5 on average; a perfect map scores 1.0 for both.

The randomization uses :class:`inception.backprop.ModelVariants` with variable
weights: the graphs are built once and only the kernel values change.
Random kernels are drawn from a normal distribution with mean 0 and the
trained kernel's standard deviation, so activations keep their scale.
Batch-norm scales and shifts and biases stay trained.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from .backprop import ModelVariants
from .config import capped_iterations
from .model import Inception
from .targets import Target

Explainer = Callable[[np.ndarray, Target], np.ndarray]
"""Any method object: ``explainer(image, target) -> (H, W)`` non-negative heatmap."""
MethodFactory = Callable[[ModelVariants], Explainer]
"""Builds a method on given model variants, e.g. ``GuidedBackprop`` or ``lambda v: SmoothGrad(v, 10)``."""


# ------------------------------------------------------------------ rank correlation
def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps of the same shape (NaN if either is constant)."""
    from scipy.stats import spearmanr

    a, b = np.ravel(a), np.ravel(b)
    if a.shape != b.shape:
        raise ValueError(f"maps differ in size: {a.size} and {b.size} values")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a, b).statistic)


def edge_map(image) -> np.ndarray:
    """Gradient magnitude of the photo itself (Sobel, max over colours): an 'explanation'
    that knows nothing about the network, to compare the methods with."""
    from scipy import ndimage

    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3), got shape {image.shape}")
    magnitude = np.hypot(ndimage.sobel(image, axis=0), ndimage.sobel(image, axis=1))
    return magnitude.max(axis=-1)


# ------------------------------------------------------------------ cascading randomization
def layer_label(weight_name: str) -> str:
    """``'block3/expand/weights:0'`` -> ``'block3/expand'``; ``'softmax/weights:0'`` -> ``'softmax'``."""
    return weight_name.split(":")[0].rsplit("/", 1)[0]


def randomization_schedule(layer_count: int, steps: int) -> list[int]:
    """How many layers (from the top) are random after each step: ``steps`` counts from 1 to
    ``layer_count``, spaced geometrically so the top layers, where most methods change, are
    resolved one by one. ``steps`` is capped by ``INCEPTION_MAX_ITERATIONS``."""
    if layer_count < 1:
        raise ValueError("the model has no weights to randomize")
    steps = min(capped_iterations(steps), layer_count)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    counts = np.unique(np.round(np.geomspace(1, layer_count, steps)).astype(int))
    # Rounding can merge small counts; fill up with the smallest missing ones.
    missing = [c for c in range(1, layer_count + 1) if c not in set(counts)]
    counts = sorted(set(counts) | set(missing[: steps - len(counts)]))
    return [int(c) for c in counts]


def random_kernel(trained: np.ndarray, seed: Sequence[int]) -> np.ndarray:
    """Normal noise with the trained kernel's shape and standard deviation, mean 0."""
    rng = np.random.default_rng(list(seed))
    return rng.normal(0.0, float(trained.std()) or 1e-3, trained.shape).astype(trained.dtype)


@dataclass
class RandomizationResult:
    """The outcome of :func:`cascading_randomization`. Step 0 is the trained model."""

    methods: list[str]
    randomized: list[int]                 # layers random at each step, counted from the top
    lowest_layer: list[str]               # the lowest random layer at each step ("" for step 0)
    layer_count: int
    correlations: dict[str, np.ndarray]   # method -> Spearman with the step-0 map, per step
    maps: dict[str, list[np.ndarray]] = field(repr=False)  # method -> heatmap per step

    def empty(self, method: str) -> np.ndarray:
        """Steps where the method's map was constant (e.g. all zero), so no ranking exists."""
        return np.array([np.ptp(m) == 0 for m in self.maps[method]])

    def table(self) -> str:
        """The correlations as a text table, one row per step ("empty": a constant map)."""
        width = max(10, *(len(m) for m in self.methods))
        label_width = max(len(layer) for layer in self.lowest_layer) + 2
        head = f"{'random':>6} | {'lowest random layer':<{label_width}} | " + " | ".join(
            f"{m:>{width}}" for m in self.methods)
        rows = [head, "-" * len(head)]
        for step, (count, lowest) in enumerate(zip(self.randomized, self.lowest_layer)):
            cells = ["empty" if self.empty(m)[step] else f"{self.correlations[m][step]:.3f}"
                     for m in self.methods]
            rows.append(f"{count:>6} | {lowest or '(trained)':<{label_width}} | "
                        + " | ".join(f"{c:>{width}}" for c in cells))
        return "\n".join(rows)


def cascading_randomization(model: Inception, image, target: Target | int,
                            methods: Mapping[str, MethodFactory], steps: int = 8,
                            seed: int = 0) -> RandomizationResult:
    """Randomize the model from the top layer down and follow every method's map.

    ``methods`` maps a name to a factory that builds the method on the variants it
    is given (a class such as ``GradCAM`` works as is). Each step randomizes more
    layers (see :func:`randomization_schedule`); earlier random layers stay random
    with the same values, as in Adebayo et al.'s cascade.
    """
    if not methods:
        raise ValueError("give at least one method")
    image = model.prepare_images(image)
    if len(image) != 1:
        raise ValueError(f"expected one image, got a batch of {len(image)}")
    variants = ModelVariants(model, variable_weights=True)
    try:
        explainers = {name: build(variants) for name, build in methods.items()}
        top_down = list(reversed(variants.weight_names))
        schedule = [0] + randomization_schedule(len(top_down), steps)
        random_values: dict[str, np.ndarray] = {}
        maps: dict[str, list[np.ndarray]] = {name: [] for name in explainers}
        for count in schedule:
            for index, name in enumerate(top_down[:count]):
                if name not in random_values:
                    random_values[name] = random_kernel(variants.trained_weight(name), (seed, index))
            variants.set_weights({name: random_values[name] for name in top_down[:count]})
            for name, explain in explainers.items():
                maps[name].append(np.asarray(explain(image[0], target), dtype=np.float32))
    finally:
        variants.close()
    correlations = {name: np.array([rank_correlation(found[0], m) for m in found])
                    for name, found in maps.items()}
    return RandomizationResult(
        methods=list(explainers), randomized=schedule,
        lowest_layer=[""] + [layer_label(top_down[c - 1]) for c in schedule[1:]],
        layer_count=len(top_down), correlations=correlations, maps=maps)


def plot_randomization(result: RandomizationResult, title: str = ""):
    """Rank correlation with the trained map per randomization step, one line per method."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.2))
    steps = np.arange(len(result.randomized))
    for name in result.methods:
        line, = ax.plot(steps, result.correlations[name], "o-", label=name)
        empty = result.empty(name)
        if empty.any():  # no ranking to correlate: mark the step on the zero line
            ax.plot(steps[empty], np.zeros(empty.sum()), "x", color=line.get_color(), markersize=9,
                    label=f"{name}: empty map")
    ax.axhline(0, color="gray", linewidth=0.8)
    ax.set_xticks(steps)
    ax.set_xticklabels(["trained"] + [f"{c}: {l}" for c, l in
                                      zip(result.randomized[1:], result.lowest_layer[1:])],
                       rotation=45, ha="right", fontsize=8)
    ax.set_xlabel(f"layers randomized from the top (of {result.layer_count}): count and lowest layer")
    ax.set_ylabel("Spearman correlation with trained map")
    ax.set_ylim(-0.3, 1.05)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title or "Cascading model randomization")
    fig.tight_layout()
    plt.show()
    return fig


def plot_randomization_maps(result: RandomizationResult, size: float = 1.5):
    """The maps themselves: one row per method, one column per step."""
    import matplotlib.pyplot as plt

    from .overlays import scale_for_display

    rows, columns = len(result.methods), len(result.randomized)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + 0.6), squeeze=False)
    for r, name in enumerate(result.methods):
        for c, heatmap in enumerate(result.maps[name]):
            ax = axes[r, c]
            ax.imshow(scale_for_display(heatmap), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title("trained" if c == 0 else result.lowest_layer[c], fontsize=7)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.tight_layout()
    plt.show()
    return fig


# ------------------------------------------------------------------ localisation
SIDES = ("left", "right")


@dataclass(frozen=True)
class Composite:
    """Two photos side by side in one model-sized image, and which photo is where."""

    image: np.ndarray
    left: str
    right: str

    def mask(self, side: str) -> np.ndarray:
        """``(H, W)`` booleans: the half of the image that holds the ``side`` photo."""
        if side not in SIDES:
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        height, width = self.image.shape[:2]
        mask = np.zeros((height, width), dtype=bool)
        half = width // 2
        if side == "left":
            mask[:, :half] = True
        else:
            mask[:, half:] = True
        return mask

    def side_of(self, name: str) -> str:
        if name == self.left:
            return "left"
        if name == self.right:
            return "right"
        raise KeyError(f"{name!r} is not in this composite ({self.left} | {self.right})")


def _centre_crop_to_aspect(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop the largest centred region with aspect ``height:width`` (so resizing does not squash)."""
    rows, columns = image.shape[:2]
    if rows * width > columns * height:  # too tall
        keep = max(1, round(columns * height / width))
        top = (rows - keep) // 2
        return image[top:top + keep]
    keep = max(1, round(rows * width / height))
    left = (columns - keep) // 2
    return image[:, left:left + keep]


def two_photo_composite(left_photo, right_photo, size: tuple[int, int],
                        names: tuple[str, str] = ("left", "right")) -> Composite:
    """Put two RGB photos (any size, 0..255) side by side in an image of ``size`` = (H, W).
    Each photo is centre-cropped to its half's shape, then resized."""
    from .images import resize_image

    height, width = size
    halves = []
    for photo, half_width in ((left_photo, width // 2), (right_photo, width - width // 2)):
        photo = np.asarray(photo, dtype=np.float32)
        if photo.ndim != 3 or photo.shape[-1] != 3:
            raise ValueError(f"expected RGB photos (H, W, 3), got shape {photo.shape}")
        halves.append(resize_image(_centre_crop_to_aspect(photo, height, half_width), (height, half_width)))
    return Composite(np.concatenate(halves, axis=1), names[0], names[1])


def sample_composite(model: Inception, left: str = "cat", right: str = "coffee") -> Composite:
    """A composite of two of the package's sample photos at the model's input size."""
    from .images import load_image, sample_photo_path

    return two_photo_composite(load_image(sample_photo_path(left)), load_image(sample_photo_path(right)),
                               model.input_size, (left, right))


def localisation_share(heatmap, mask) -> float:
    """Share of a non-negative heatmap's total inside ``mask`` (NaN for an all-zero map)."""
    heatmap = np.asarray(heatmap, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if heatmap.shape != mask.shape:
        raise ValueError(f"heatmap {heatmap.shape} and mask {mask.shape} differ in shape")
    if np.any(heatmap < 0):
        raise ValueError("localisation needs a non-negative heatmap")
    total = heatmap.sum()
    return float(heatmap[mask].sum() / total) if total > 0 else float("nan")


def localisation_scores(composite: Composite, targets: Mapping[str, Target | int],
                        methods: Mapping[str, Explainer]) -> dict[str, dict[str, float]]:
    """``scores[method][photo]``: share of the method's map for the photo's target that lies in
    the photo's half. ``targets`` maps each photo name of the composite to its target."""
    scores: dict[str, dict[str, float]] = {}
    for method_name, explain in methods.items():
        scores[method_name] = {}
        for photo, target in targets.items():
            heatmap = explain(composite.image, target)
            scores[method_name][photo] = localisation_share(heatmap, composite.mask(composite.side_of(photo)))
    return scores


def format_scores(scores: Mapping[str, Mapping[str, float]]) -> str:
    """A text table: one row per method, one column per photo."""
    photos = list(next(iter(scores.values())))
    width = max(len(m) for m in scores)
    rows = [f"{'method':<{width}} | " + " | ".join(f"{p:>8}" for p in photos)]
    rows.append("-" * len(rows[0]))
    for method, by_photo in scores.items():
        rows.append(f"{method:<{width}} | " + " | ".join(f"{by_photo[p]:>8.2f}" for p in photos))
    return "\n".join(rows)


def plot_localisation(scores: Mapping[str, Mapping[str, float]], title: str = ""):
    """Grouped bars: each method's share of heat in the correct half, per photo; 0.5 = chance."""
    import matplotlib.pyplot as plt

    methods = list(scores)
    photos = list(next(iter(scores.values())))
    x = np.arange(len(methods))
    width = 0.8 / len(photos)
    fig, ax = plt.subplots(figsize=(1.3 * len(methods) + 2, 3.8))
    for i, photo in enumerate(photos):
        values = [scores[m][photo] for m in methods]
        bars = ax.bar(x + (i - (len(photos) - 1) / 2) * width, values, width, label=photo)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.axhline(0.5, color="gray", linestyle="--", linewidth=1, label="chance (0.5)")
    ax.set_xticks(x)
    ax.set_xticklabels(methods, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.25)
    ax.set_ylabel("share of heat in the correct half")
    ax.legend(fontsize=8, loc="upper center", ncol=len(photos) + 1)
    ax.set_title(title or "Localisation on a two-photo composite")
    fig.tight_layout()
    plt.show()
    return fig
