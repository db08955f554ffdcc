#!/usr/bin/env python
"""Execute the course notebooks top to bottom and write the rendered results.

For each ``notebooks/NN_*.ipynb`` (in order) this writes to the output folder:
``NN_name.ipynb`` (executed, via papermill, so parameters can be injected),
``NN_name.html`` and ``figures/NN_name/figure_MM.png`` (every image the
notebook shows, to look at without opening Jupyter).

    python tools/run_notebooks.py                       # embedded model, all notebooks
    python tools/run_notebooks.py --model inception-v3  # downloads Inception v3 first
    python tools/run_notebooks.py --max-iterations 3 03  # quick pass over notebook 03
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def notebook_paths(selection: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if selection:
        paths = [p for p in paths if any(p.name.startswith(s) or p.stem == s for s in selection)]
        if not paths:
            raise SystemExit(f"no notebook matches {selection}; have {[p.name for p in notebook_paths()]}")
    return paths


def extract_figures(executed: Path, folder: Path) -> list[Path]:
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                path = folder / f"figure_{len(written) + 1:02d}.png"
                path.write_bytes(base64.b64decode(data["image/png"]))
                written.append(path)
    return written


def run_notebook(path: Path, output_dir: Path, parameters: dict | None = None,
                 timeout: int = 1800) -> Path:
    """Execute one notebook with papermill (cwd = notebooks/), export HTML and figures."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    output_dir.mkdir(parents=True, exist_ok=True)
    executed = output_dir / path.name
    papermill.execute_notebook(str(path), str(executed), parameters=parameters or {},
                               cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
                               execution_timeout=timeout)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    (output_dir / f"{path.stem}.html").write_text(html, encoding="utf-8")
    extract_figures(executed, output_dir / "figures" / path.stem)
    return executed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    parser.add_argument("--model", default=os.environ.get("INCEPTION_MODEL", "efficientnet-lite0"),
                        choices=["efficientnet-lite0", "inception-v3"])
    parser.add_argument("--output", type=Path, default=REPO / "build")
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="cap every optimisation loop (sets INCEPTION_MAX_ITERATIONS)")
    args = parser.parse_args(argv)

    os.environ["INCEPTION_MODEL"] = args.model
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.max_iterations is not None:
        os.environ["INCEPTION_MAX_ITERATIONS"] = str(args.max_iterations)
    if args.model == "inception-v3":
        sys.path.insert(0, str(REPO))
        import inception
        try:
            inception.maybe_download()
        except inception.DownloadError as exc:
            print(exc, file=sys.stderr)
            return 2

    failures = []
    for path in notebook_paths(args.notebooks):
        start = time.perf_counter()
        print(f"running {path.name} on {args.model} ...", flush=True)
        try:
            run_notebook(path, args.output)
        except Exception as exc:  # noqa: BLE001 - report every failing notebook, then exit non-zero
            failures.append(path.name)
            print(f"FAILED {path.name}: {type(exc).__name__}: {str(exc)[-2000:]}", flush=True)
            continue
        print(f"  done in {time.perf_counter() - start:.0f} s -> {args.output / path.stem}.html", flush=True)
    if failures:
        print(f"{len(failures)} notebook(s) failed: {', '.join(failures)}")
        return 1
    print(f"all notebooks executed; results in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
