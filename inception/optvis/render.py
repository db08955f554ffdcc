"""The render loop: parameters -> image -> transforms -> model -> gradient -> step.

One step, for a whole batch at once::

    pixels = param(theta)                       # TF eager, outside the model graph
    x = M @ pixels + fill                       # random shift / scale / rotation: one resampling
    values, grad = objective_fn(x)              # cached, pruned session call in the model graph
    d theta = backprop(M.T @ grad through param) - d(regularisers)/d theta
    theta = optimizer.step(theta, d theta)      # ascent

The model half is :meth:`Objective.gradient_function`, compiled once per
objective structure through :meth:`Inception.compiled`. The transforms are a
sparse matrix (see :mod:`~inception.optvis.transform`), and the
parameterisation is a ``tf.GradientTape`` that receives the model's gradient,
carried back through the transforms, as ``output_gradients``. Keeping them
apart means the frozen graph never grows with the choice of parameterisation.

Defaults and where they come from
---------------------------------
- parameterisation :class:`~inception.optvis.param.FourierImage` (1/f,
  decorrelated colour, sigmoid): lucid ``param.image(fft=True, decorrelate=True)``
  and the Distill article's "Preconditioning" section; its starting noise is 10x
  lucid's (``sd=0.1``) so fewer channels start with zero gradient (notebook 07);
- transforms: lucid's ``standard_transforms`` (see
  :func:`~inception.optvis.transform.standard_transforms`);
- optimiser Adam with learning rate 0.05: lucid ``render_vis``;
- 256 steps: lucid renders 512 by default; on a CPU we stop at 256, where the
  objective curves in notebook 07 have flattened;
- no regulariser: the Distill article finds preconditioning plus
  transformation robustness enough, and penalties trade activation for looks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..config import capped_iterations
from ..model import Inception, get_model
from .objectives import Objective
from .param import FourierImage, ImageParam, PixelImage
from .regularizers import Regularizer
from .transform import Compose, CropOrPad, Transform, standard_transforms

DEFAULT_STEPS = 256
DEFAULT_LEARNING_RATE = 0.05


# ---------------------------------------------------------------- optimisers (ascent, in place)
class Adam:
    """Adam (Kingma & Ba 2014) going *up* the gradient, element by element, in numpy.

    Every parameter moves by about ``learning_rate`` per step whatever the
    gradient's scale, which suits Fourier coefficients whose gradients span
    orders of magnitude.
    """

    def __init__(self, learning_rate: float = DEFAULT_LEARNING_RATE, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8):
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        self.learning_rate, self.beta1, self.beta2, self.epsilon = learning_rate, beta1, beta2, epsilon
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] | None = None
        self._t = 0

    def step(self, theta: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        if self._m is None:
            self._m = [np.zeros_like(g) for g in gradients]
            self._v = [np.zeros_like(g) for g in gradients]
        self._t += 1
        for p, g, m, v in zip(theta, gradients, self._m, self._v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * np.square(g)
            m_hat = m / (1 - self.beta1 ** self._t)
            v_hat = v / (1 - self.beta2 ** self._t)
            p += (self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)).astype(p.dtype)

    def __repr__(self) -> str:
        return f"Adam(learning_rate={self.learning_rate:g})"


class SeedAscent:
    """The seed tutorial's step: move each image by ``step_size / std(its gradient)`` times the gradient.

    With :class:`~inception.optvis.param.PixelImage` and no transforms this is
    exactly :func:`inception.visual_analysis.gradient_ascent_step`.
    """

    def __init__(self, step_size: float = 1.0):
        self.step_size = float(step_size)

    def step(self, theta: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        for p, g in zip(theta, gradients):
            scale = self.step_size / (g.reshape(len(g), -1).std(axis=1) + 1e-8)
            p += (scale.reshape((-1,) + (1,) * (g.ndim - 1)) * g).astype(p.dtype)

    def __repr__(self) -> str:
        return f"SeedAscent(step_size={self.step_size:g})"


# ---------------------------------------------------------------- the loop
@dataclass
class RenderResult:
    """What :func:`render` returns.

    images: (B, H, W, 3) float32 in 0..255.
    history: (steps, B) objective of each image as the loop saw it (after transforms), before each step.
    final: (B,) objective of the returned images themselves (no transforms).
    penalties: (steps, B) summed regulariser penalties, or None without regularisers.
    snapshots: {step: images} for the steps asked for in ``snapshot_steps``.
    """

    images: np.ndarray
    history: np.ndarray
    final: np.ndarray
    objective: str
    penalties: np.ndarray | None = None
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)


def _transform_chain(transforms, size, param_size=None) -> Compose | None:
    if transforms is None or (not isinstance(transforms, (str, Transform)) and len(transforms) == 0):
        if param_size is None or tuple(param_size) == tuple(size):
            return None  # nothing to do: skip the resampling altogether
        chain: list[Transform] = []
    elif isinstance(transforms, str):
        if transforms != "standard":
            raise ValueError(f"transforms must be 'standard', None or a list of Transform, got {transforms!r}")
        chain = standard_transforms()
    elif isinstance(transforms, Transform):
        chain = [transforms]
    else:
        chain = list(transforms)
    # The model's input size is fixed: every chain ends at exactly that size.
    return Compose(chain + [CropOrPad(size)])


def render_step(param: ImageParam, chain: Transform | None, gradient_fn, rng: np.random.Generator,
                regularizers: Sequence[Regularizer] = ()) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """One forward/backward pass: returns (objective values, d total / d theta, penalties)."""
    import tensorflow as tf

    theta = [tf.convert_to_tensor(t) for t in param.theta]
    with tf.GradientTape() as tape:
        tape.watch(theta)
        pixels = param(theta)
        penalties = tf.zeros([param.batch_size])
        for regularizer in regularizers:
            penalties += regularizer(pixels)
    if chain is None:
        values, gradient = gradient_fn(pixels.numpy())
    else:
        # The transforms are one sparse linear map: forward with M, backward with M.T.
        resample = chain.resampling(chain.sample(rng), tuple(pixels.shape[1:3]))
        values, gradient = gradient_fn(resample(pixels.numpy()))
        gradient = resample.backward(gradient)
    # Ascend the objective, descend the penalties: seed the tape with both output gradients.
    gradients = tape.gradient([pixels, penalties], theta,
                              output_gradients=[gradient, -tf.ones_like(penalties)])
    return values, [g.numpy() for g in gradients], penalties.numpy()


def render(objective: Objective, model: Inception | None = None, *, param: ImageParam | None = None,
           transforms: str | Sequence[Transform] | None = "standard",
           regularizers: Sequence[Regularizer] = (), optimizer=None, steps: int = DEFAULT_STEPS,
           batch_size: int | None = None, seed: int | None = 0, progress: bool = True,
           snapshot_steps: Sequence[int] = ()) -> RenderResult:
    """Find images that maximise ``objective``; see the module docstring for the loop and defaults.

    Parameters
    ----------
    objective: what to maximise, e.g. ``channel(24, [0, 1, 2])`` (one image per channel).
    model: the model (default: the shared one).
    param: image parameterisation; default ``FourierImage(batch_size, model.input_size, seed=seed)``.
    transforms: ``"standard"`` (lucid's chain), ``None`` (none, the seed's way) or a list.
    regularizers: penalties subtracted from the objective, e.g. ``[total_variation(0.5)]``.
    optimizer: ``Adam(0.05)`` by default; ``SeedAscent()`` is the seed's step.
    steps: optimisation steps, capped by ``INCEPTION_MAX_ITERATIONS``.
    batch_size: images; default the objective's (one per listed channel), else the param's, else 1.
    seed: seeds the starting image and the random transforms.
    progress: show a tqdm progress bar.
    snapshot_steps: keep a copy of the images before these steps (``steps`` = the end).
    """
    model = get_model(model)
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be an Objective (e.g. objectives.channel(layer, n)), got {objective!r}")
    steps = capped_iterations(steps)
    batch_size = batch_size or objective.batch_size or (param.batch_size if param is not None else 1)
    if param is None:
        param = FourierImage(batch_size, model.input_size, seed=seed)
    if param.batch_size != batch_size:
        raise ValueError(f"the parameterisation makes {param.batch_size} images but the batch has {batch_size}")
    gradient_fn = objective.gradient_function(model)  # also checks layers and channels
    chain = _transform_chain(transforms, model.input_size, param.size)
    optimizer = optimizer if optimizer is not None else Adam()
    rng = np.random.default_rng(seed)

    history = np.zeros((steps, batch_size), dtype=np.float32)
    penalties = np.zeros((steps, batch_size), dtype=np.float32) if regularizers else None
    snapshots: dict[int, np.ndarray] = {}
    wanted = set(int(s) for s in snapshot_steps)
    iterator = range(steps)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        iterator = bar = tqdm(iterator, desc=objective.description[:40], leave=False)
    for i in iterator:
        if i in wanted:
            snapshots[i] = param.images()
        values, gradients, penalty = render_step(param, chain, gradient_fn, rng, regularizers)
        history[i] = values
        if penalties is not None:
            penalties[i] = penalty
        optimizer.step(param.theta, gradients)
        param.constrain()
        if bar is not None and (i % 8 == 0 or i == steps - 1):
            bar.set_postfix(objective=f"{float(np.mean(values)):.3g}")
    images = param.images()
    if steps in wanted:
        snapshots[steps] = images
    final = objective.value_function(model)(images)
    return RenderResult(images, history, np.asarray(final), objective.description, penalties, snapshots)


def render_channels(layer: int | str, channels: Sequence[int], model: Inception | None = None, *,
                    batch_size: int = 16, method: str = "fourier + transforms", seed: int | None = 0,
                    progress: bool = True, param_kwargs: dict | None = None, **render_kwargs) -> RenderResult:
    """One image per channel of ``layer``, rendered ``batch_size`` channels at a time.

    For a whole layer (hundreds of channels) one batch would not fit in memory.
    ``method`` is one of :data:`METHODS`; ``param_kwargs`` go to its
    parameterisation (e.g. ``{"sd": 0.01}``), other keywords to :func:`render`.
    Returns one :class:`RenderResult` with everything concatenated along the batch.
    """
    from .objectives import channel

    model = get_model(model)
    channels = [int(c) for c in channels]
    if not channels:
        raise ValueError("give at least one channel")
    channel(layer, channels).check(model)  # fail before any work
    parts = []
    chunks = [channels[i:i + batch_size] for i in range(0, len(channels), batch_size)]
    outer = chunks
    if progress:
        from tqdm.auto import tqdm
        outer = tqdm(chunks, desc=f"{len(channels)} channels of layer {layer}", leave=False)
    for chunk in outer:
        settings = method_settings(method, len(chunk), model.input_size, seed=seed, **(param_kwargs or {}))
        objective = channel(layer, chunk if len(chunk) > 1 else chunk[0])
        parts.append(render(objective, model, progress=False, seed=seed, **settings, **render_kwargs))
    return RenderResult(np.concatenate([p.images for p in parts]), np.concatenate([p.history for p in parts], axis=1),
                        np.concatenate([p.final for p in parts]), f"channel({layer!r}, {len(channels)} channels)")


# ---------------------------------------------------------------- named methods for comparisons
METHODS = ("pixels", "pixels + transforms", "fourier", "fourier + transforms")


def method_settings(method: str, batch_size: int, size: Sequence[int], seed: int | None = 0,
                    **param_kwargs) -> dict:
    """``render`` keyword arguments for the four methods compared in notebook 07.

    - ``"pixels"``: the seed's gradient ascent (pixel parameters, :class:`SeedAscent`, no transforms);
    - ``"pixels + transforms"``: the same with lucid's standard transforms;
    - ``"fourier"``: Fourier/decorrelated parameters with Adam 0.05, no transforms;
    - ``"fourier + transforms"``: both fixes, the :func:`render` default.

    ``param_kwargs`` go to the parameterisation's constructor.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    fourier = method.startswith("fourier")
    param_class = FourierImage if fourier else PixelImage
    param = param_class(batch_size, size, seed=seed, **param_kwargs)
    return {"param": param, "transforms": "standard" if method.endswith("transforms") else None,
            "optimizer": Adam() if fourier else SeedAscent()}


__all__ = ["Adam", "DEFAULT_LEARNING_RATE", "DEFAULT_STEPS", "METHODS", "RenderResult", "SeedAscent",
           "method_settings", "render", "render_channels", "render_step"]
