"""Write the report as a Jupyter notebook, a self-contained HTML page and a PDF.

All three come from one ``Document`` (see ``document.py``): the notebook keeps
tables as HTML outputs and charts as ``image/png`` outputs, plus a code cell
that loads ``analysis.json`` so a reader can carry on from there; the HTML page
inlines its CSS and images and has no script; the PDF is drawn by ``pdf.py``.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from openclarify.errors import AnalysisError
from openclarify.report.document import (
    Document,
    Figure,
    Heading,
    Notice,
    Paragraph,
    Table,
    build_document,
)
from openclarify.report.outputs import write_text_atomic
from openclarify.report.pdf import write_pdf
from openclarify.report.summary import DatasetSummary

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
HTML_TEMPLATE = "report.html.j2"
BAD_NAME_MSG = (
    "methods.report.name: got {value!r}; a plain file name without a folder or "
    "extension is accepted (e.g. 'report'). Change the report name in the "
    "analysis config."
)
LOAD_CODE = """\
import json
from pathlib import Path

import pandas as pd

# Run this notebook from the job's output folder, beside analysis.json.
analysis = json.loads(Path("analysis.json").read_text(encoding="utf-8"))

rows = []
for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
    section = analysis.get(stage, {})
    for facet, entries in section.get("facets", {}).items():
        for entry in entries:
            for metric in entry["metrics"]:
                rows.append(
                    {"stage": stage, "facet": facet,
                     "value_or_threshold": entry["value_or_threshold"], **metric}
                )
bias_metrics = pd.DataFrame(rows)

kernel_shap = analysis.get("explanations", {}).get("kernel_shap", {})
global_shap = pd.DataFrame(
    {label: result["global_shap_values"] for label, result in kernel_shap.items()}
)
bias_metrics.head()
"""
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def write_report(
    output_dir: Path | str,
    *,
    name: str,
    title: str,
    analysis: Mapping[str, Any],
    run_record: Mapping[str, Any] | None,
    summary: DatasetSummary | None,
    local_shap: pd.DataFrame | None,
) -> list[Path]:
    """Write ``<name>.ipynb``, ``<name>.html`` and ``<name>.pdf``.

    Parameters
    ----------
    output_dir : Path or str
        The job's output folder (created if missing).
    name : str
        ``methods.report.name``: the file name without extension.
    title : str
        ``methods.report.title``.
    analysis : Mapping
        The ``analysis.json`` content (contract section 3.2); sections that
        are absent are left out of the report.
    run_record : Mapping or None
        ``RunRecord.to_dict()``, shown at the end.
    summary : DatasetSummary or None
        Dataset statistics (``summarize_dataset``) for the dataset section and
        the confusion matrices.
    local_shap : DataFrame or None
        Local SHAP values (columns ``<feature>_<label>``) for the
        distribution charts.

    Returns
    -------
    list of Path
        The notebook, HTML and PDF files, in that order.

    Raises
    ------
    AnalysisError
        If ``name`` is not a plain file name.
    """
    if not name or Path(name).name != name or name in (".", ".."):
        raise AnalysisError(BAD_NAME_MSG.format(value=name))
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)

    document = build_document(
        title=title,
        analysis=analysis,
        run_record=run_record,
        summary=summary,
        local_shap=local_shap,
    )
    notebook_path = folder / f"{name}.ipynb"
    html_path = folder / f"{name}.html"
    pdf_path = folder / f"{name}.pdf"

    write_text_atomic(notebook_path, nbformat.writes(render_notebook(document)))
    write_text_atomic(html_path, render_html(document))
    write_pdf(pdf_path, document)
    logger.info("report written: %s.{ipynb,html,pdf} in %s", name, folder)
    return [notebook_path, html_path, pdf_path]


def render_html(document: Document) -> str:
    """Return the report as one self-contained HTML page (no script, no URL)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["b64"] = _base64
    return environment.get_template(HTML_TEMPLATE).render(document=document)


def render_notebook(document: Document) -> nbformat.NotebookNode:
    """Return the report as an nbformat 4 notebook (validated)."""
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(
            f"# {_markdown(document.title)}\n\n*{_markdown(document.subtitle)}*"
        ),
        v4.new_code_cell(LOAD_CODE.rstrip("\n")),
    ]
    pending: list[str] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            pending.append("#" * block.level + " " + _markdown(block.text))
        elif isinstance(block, Paragraph):
            pending.append(_markdown(block.text))
        elif isinstance(block, Notice):
            pending.append(f"> **{_markdown(block.text)}**")
        else:
            if pending:
                cells.append(v4.new_markdown_cell("\n\n".join(pending)))
                pending = []
            cells.append(_output_cell(block))
    if pending:
        cells.append(v4.new_markdown_cell("\n\n".join(pending)))

    notebook = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3",
                "language": "python",
            },
            "language_info": {"name": "python"},
            "title": document.title,
        },
    )
    nbformat.validate(notebook)
    return notebook


def _output_cell(block: Table | Figure) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    if isinstance(block, Figure):
        output = v4.new_output(
            "display_data",
            data={"image/png": _base64(block.png), "text/plain": block.caption},
        )
        source = f"# Chart: {block.caption}"
    else:
        output = v4.new_output(
            "display_data",
            data={"text/html": _table_html(block), "text/plain": _table_text(block)},
        )
        source = f"# Table: {', '.join(block.columns)}"
    return v4.new_code_cell(source, outputs=[output])


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in table.columns)
    body = []
    for number, row in enumerate(table.rows):
        style = ' style="background:#fdecea"' if table.is_failed(number) else ""
        cells = "".join(
            f'<td style="text-align:{"right" if numeric else "left"}">'
            f"{html.escape(cell)}</td>"
            for cell, numeric in zip(row, table.numeric, strict=True)
        )
        body.append(f"<tr{style}>{cells}</tr>")
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _table_text(table: Table) -> str:
    lines = [" | ".join(table.columns)]
    lines += [" | ".join(row) for row in table.rows]
    return "\n".join(lines)


def _markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _base64(data: bytes) -> str:
    if not isinstance(data, bytes):
        raise AnalysisError(f"chart data: got {type(data)}; PNG bytes are accepted.")
    return base64.b64encode(data).decode("ascii")
