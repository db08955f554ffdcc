"""Small GraphDef helpers shared by the loaders and the graph variants."""
from __future__ import annotations

from typing import Iterable


def node_name(tensor_or_input: str) -> str:
    """``"^a/b:1"`` -> ``"a/b"``: the node behind a tensor name or a NodeDef input."""
    return tensor_or_input.lstrip("^").split(":")[0]


def subgraph(graph_def, nodes: Iterable):
    """A new GraphDef with ``graph_def``'s versions and library and the given nodes."""
    import tensorflow as tf

    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(nodes)
    return out


def keep_ancestors(graph_def, outputs: Iterable[str]):
    """Only the nodes ``outputs`` are computed from, in their original order."""
    by_name = {n.name: n for n in graph_def.node}
    needed, stack = set(), [node_name(o) for o in outputs]
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        if name not in by_name:
            raise ValueError(f"the graph has no node {name!r}")
        needed.add(name)
        stack.extend(node_name(i) for i in by_name[name].input)
    return subgraph(graph_def, (n for n in graph_def.node if n.name in needed))
