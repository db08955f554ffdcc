"""Figure and table helpers used by notebooks 07 and 08."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from inception.optvis.plots import show_grid, text_table  # noqa: E402


def test_text_table_aligns_and_formats():
    table = text_table(["method", "value"], [["pixels", 10.2345], ["fourier + transforms", 7.5]], ["", ".2f"])
    lines = table.splitlines()
    assert lines[0].startswith("method") and set(lines[1]) == {"-", " "}
    assert lines[2].endswith("10.23") and lines[3].endswith(" 7.50")
    assert len({len(line) for line in lines}) == 1
    with pytest.raises(ValueError, match="one entry per header"):
        text_table(["a", "b"], [[1]])


def test_show_grid_makes_one_axis_per_image_and_hides_the_rest(rng):
    rows = [rng.uniform(0, 255, (3, 8, 8, 3)), rng.uniform(0, 255, (2, 8, 8, 3))]
    fig = show_grid(rows, row_titles=["a", "b"], col_titles=["x", "y", "z"])
    axes = fig.axes
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:3]] == ["x", "y", "z"]
    assert axes[0].get_ylabel() == "a" and not axes[5].axison
    with pytest.raises(ValueError, match="batch of RGB"):
        show_grid([np.zeros((8, 8, 3))])
