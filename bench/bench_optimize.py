#!/usr/bin/env python
"""Benchmark: the classic tutorial's optimisation loop against this package's.

Same model, same process, same work: 6 features x 30 iterations on a middle
conv layer. The seed-style loop is faithful to the tutorial: it reloads the
model for every feature, adds a new loss and gradient to the graph, opens a
new session, and fetches the softmax (the whole network) at every step,
one image at a time. Ours loads the model once, builds the gradient function
once per layer and caches it, runs only the layers up to the target (the
session prunes the graph there) and optimises the six features as one batch.

Then memory: resident set size and graph size before and after 200 calls.

    python bench/bench_optimize.py [--model efficientnet-lite0|inception-v3]
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import inception  # noqa: E402
from inception.visual_analysis import initial_images  # noqa: E402

FEATURES = range(1, 7)
ITERATIONS = 30


def rss_mib() -> float:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_style(model_name: str, conv_id: int) -> float:
    """The tutorial's optimize_images: a fresh model, loss, gradient and session per feature."""
    import tensorflow as tf

    start = time.perf_counter()
    for feature in FEATURES:
        model = inception.Inception(model_name)
        tensor = model.layer_tensor(conv_id)
        with model.graph.as_default():
            loss = tf.reduce_mean(tensor[:, :, :, feature])
            gradient = tf.gradients(loss, model.resized_image)
        session = tf.compat.v1.Session(graph=model.graph)
        image = initial_images(model, 1)
        for _ in range(ITERATIONS):
            pred, grad, loss_value = session.run([model.y_pred, gradient, loss],
                                                 feed_dict={model.resized_image: image})
            grad = np.array(grad).squeeze()
            step_size = 1.0 / (grad.std() + 1e-8)
            image = np.clip(image + step_size * grad, 0.0, 255.0)
        session.close()
        model.close()
    return time.perf_counter() - start


def ours(model_name: str, conv_id: int) -> tuple[float, float]:
    """(time including loading the model once, time of a second call on the loaded model)."""
    start = time.perf_counter()
    model = inception.Inception(model_name)
    inception.optimize_features(conv_id, FEATURES, ITERATIONS, model=model)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    inception.optimize_features(conv_id, FEATURES, ITERATIONS, model=model)
    warm = time.perf_counter() - start
    model.close()
    return cold, warm


def memory_after_calls(model_name: str, calls: int = 200) -> None:
    model = inception.Inception(model_name)
    layers = [0, len(model.conv_layer_names) // 2, len(model.conv_layer_names) - 1]
    for conv_id in layers:  # build each layer's gradient function before measuring
        inception.optimize_image(conv_id, 0, 1, show_progress=False, model=model)
    gc.collect()
    rss_start, ops_start = rss_mib(), len(model.graph.get_operations())
    for call in range(calls):
        conv_id = layers[call % len(layers)]
        inception.optimize_image(conv_id, call % 16, num_iterations=1, show_progress=False, model=model)
    gc.collect()
    rss_end, ops_end = rss_mib(), len(model.graph.get_operations())
    print(f"memory after {calls} optimize_image calls over {len(layers)} layers: "
          f"RSS {rss_start:.0f} -> {rss_end:.0f} MiB ({rss_end - rss_start:+.0f} MiB), "
          f"graph ops {ops_start} -> {ops_end} ({ops_end - ops_start:+d})")
    model.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet-lite0", choices=inception.MODEL_NAMES)
    args = parser.parse_args()
    import tensorflow as tf

    probe = inception.Inception(args.model)  # also converts/caches the graph before timing
    conv_id = len(probe.conv_layer_names) // 2
    layer = probe.conv_layer_name(conv_id)
    probe.close()
    print(f"model {args.model}, layer {conv_id} ({layer}), {len(FEATURES)} features x {ITERATIONS} "
          f"iterations; TensorFlow {tf.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    seed_seconds = seed_style(args.model, conv_id)
    cold, warm = ours(args.model, conv_id)
    print(f"seed-style loop (reload per feature, full network per step, batch 1): {seed_seconds:7.2f} s")
    print(f"this package, loading the model once, first call:                     {cold:7.2f} s"
          f"   speed-up {seed_seconds / cold:5.1f}x")
    print(f"this package, model loaded, gradient cached:                          {warm:7.2f} s"
          f"   speed-up {seed_seconds / warm:5.1f}x")
    memory_after_calls(args.model)


if __name__ == "__main__":
    main()
