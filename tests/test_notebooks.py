"""Every notebook runs top to bottom on the embedded model, with iteration counts capped.

The cap comes from the INCEPTION_MAX_ITERATIONS environment variable that the
package reads, so the notebooks are executed exactly as committed.
"""
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _runner():
    spec = importlib.util.spec_from_file_location("run_notebooks", REPO / "tools" / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_course_has_its_notebooks_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[:3] == [1, 2, 3]
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_structure(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert cells[0]["cell_type"] == "markdown", "starts with a title"
    parameters = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1, "exactly one cell tagged 'parameters'"
    assert code.index(parameters[0]) <= 1, "the parameters cell is at the top"
    assert cells[-1]["cell_type"] == "markdown"
    assert "".join(cells[-1]["source"]).lstrip().startswith("## Exercises")
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code), \
        "notebooks are committed without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("INCEPTION_MODEL", "efficientnet-lite0")
    monkeypatch.setenv("INCEPTION_MAX_ITERATIONS", "3")
    executed = _runner().run_notebook(path, tmp_path)
    nb = json.loads(executed.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert (tmp_path / f"{path.stem}.html").stat().st_size > 10_000
    figures = list((tmp_path / "figures" / path.stem).glob("figure_*.png"))
    assert figures, "every notebook shows at least one figure"
