"""Tests of the report files: notebook, HTML and PDF, for four kinds of job."""

from __future__ import annotations

import base64
import copy
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from PIL import Image
from report_scenarios import Scenario, build

from openclarify.errors import AnalysisError
from openclarify.report import write_analysis_json, write_report

PDFTOTEXT = shutil.which("pdftotext")
EMPTY_FACET = "Facet set is empty. Check facet value <none> & threshold"
LONG_VALUE = ",".join(f"occupation-category-{i:03d}" for i in range(60))


class _Page(HTMLParser):
    """Collect a page's visible text, its tags and their URL-like attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._skip += tag in ("style", "title")
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "srcset")]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _page(path: Path) -> tuple[_Page, str]:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser, " ".join(" ".join(parser.text).split())


def _pdf_text(path: Path) -> str:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed (Debian package 'poppler-utils')")
    result = subprocess.run(
        [PDFTOTEXT, str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return " ".join(result.stdout.decode("utf-8").split())


def _render(folder: Path, scenario: Scenario, *, name: str = "report") -> list[Path]:
    return write_report(
        folder,
        name=name,
        title="Analysis Report",
        analysis=scenario.analysis,
        run_record=scenario.run_record,
        summary=scenario.summary,
        local_shap=scenario.local_shap,
    )


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, list[Path]]:
    """Render the Adult-like job with pre, post, SHAP and PDP once."""
    scenario = build()
    return scenario, _render(tmp_path_factory.mktemp("full"), scenario)


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, list[Path]]:
    """Render a bias job where a facet value is empty and DI is infinite."""
    scenario = build(shap=False, pdp=False)
    section = scenario.analysis["pre_training_bias_metrics"]
    entry = copy.deepcopy(section["facets"]["Sex"][0])
    entry["value_or_threshold"] = LONG_VALUE
    for metric in entry["metrics"]:
        metric.update(value=None, error=EMPTY_FACET)
    section["facets"]["Sex"].append(entry)
    post = scenario.analysis["post_training_bias_metrics"]["facets"]["Sex"][0]
    for metric in post["metrics"]:
        if metric["name"] == "DI":
            metric["value"] = "Infinity"
    return scenario, _render(tmp_path_factory.mktemp("failed"), scenario)


def test_full_report_writes_three_files(full: tuple[Scenario, list[Path]]) -> None:
    """Check that the notebook, HTML and PDF are written under the report name."""
    _, paths = full

    assert [p.name for p in paths] == ["report.ipynb", "report.html", "report.pdf"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    assert paths[2].read_bytes().startswith(b"%PDF-")


def test_notebook_is_valid_and_embeds_every_chart(
    full: tuple[Scenario, list[Path]],
) -> None:
    """Check that the notebook validates and holds one decodable PNG per HTML image."""
    _, paths = full
    notebook = nbformat.read(paths[0], as_version=4)
    nbformat.validate(notebook)
    page, _ = _page(paths[1])

    pngs = [
        output["data"]["image/png"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    tables = [
        output["data"]["text/html"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]

    assert notebook.nbformat == 4 and len(pngs) == page.tags.count("img") >= 5
    assert len(tables) == page.tags.count("table")
    for data in pngs:
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            assert image.format == "PNG" and image.width > 300


def test_notebook_code_cell_loads_analysis_json(
    full: tuple[Scenario, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that the notebook's code cell loads analysis.json into data frames."""
    scenario, paths = full
    notebook = nbformat.read(paths[0], as_version=4)
    code = next(cell.source for cell in notebook.cells if cell.cell_type == "code")
    write_analysis_json(tmp_path / "analysis.json", scenario.analysis)
    monkeypatch.chdir(tmp_path)

    namespace: dict[str, Any] = {}
    exec(compile(code, "notebook-cell", "exec"), namespace)

    expected_rows = sum(
        len(entry["metrics"])
        for key in ("pre_training_bias_metrics", "post_training_bias_metrics")
        for entries in scenario.analysis[key]["facets"].values()
        for entry in entries
    )
    shap = scenario.analysis["explanations"]["kernel_shap"]["label0"]
    assert len(namespace["bias_metrics"]) == expected_rows
    assert list(namespace["global_shap"].index) == list(shap["global_shap_values"])


def test_html_is_self_contained(full: tuple[Scenario, list[Path]]) -> None:
    """Check that the page has no script, no external URL and inline PNG images."""
    _, paths = full
    page, _ = _page(paths[1])
    raw = paths[1].read_text(encoding="utf-8")

    assert "script" not in page.tags and "link" not in page.tags
    assert "iframe" not in page.tags and "url(" not in raw
    assert "http://" not in raw and "https://" not in raw
    for url in page.urls:
        assert url.startswith(("#", "data:image/png;base64,")), url[:60]


def test_full_report_shows_every_section(full: tuple[Scenario, list[Path]]) -> None:
    """Check that HTML and PDF both carry each section and the run record facts."""
    scenario, paths = full
    _, html_text = _page(paths[1])
    pdf_text = _pdf_text(paths[2])
    record = scenario.run_record

    for text in (
        "Dataset",
        "Pre-training bias",
        "Post-training bias",
        "Feature attributions (SHAP)",
        "Partial dependence",
        "Run record",
        "Confusion matrix",
        "Disparate Impact",
        "PDP is not computed for free text features",
        record["config_digest"],
        record["dataset_fingerprint"],
        record["library_versions"]["xgboost"],
    ):
        assert text in html_text, text
        assert text in pdf_text, text


def test_bias_only_report(tmp_path: Path) -> None:
    """Check that a bias-only job renders without explanation sections."""
    scenario = build(shap=False, pdp=False)
    paths = _render(tmp_path, scenario)
    _, html_text = _page(paths[1])
    pdf_text = _pdf_text(paths[2])

    nbformat.validate(nbformat.read(paths[0], as_version=4))
    assert "Post-training bias" in html_text and "Confusion matrix" in pdf_text
    for text in ("Feature attributions (SHAP)", "Partial dependence"):
        assert text not in html_text and text not in pdf_text


def test_explainability_only_report(tmp_path: Path) -> None:
    """Check that a two-output explainability job renders without bias parts."""
    scenario = build(pre=False, post=False, two_outputs=True)
    paths = _render(tmp_path, scenario, name="explain")
    page, html_text = _page(paths[1])
    pdf_text = _pdf_text(paths[2])

    assert scenario.summary is None
    assert "Output label0" in html_text and "Output label1" in pdf_text
    # Two global bar charts, two local violin charts and one PDP figure.
    assert page.tags.count("img") == 5
    assert [p.name for p in paths] == ["explain.ipynb", "explain.html", "explain.pdf"]
    nbformat.validate(nbformat.read(paths[0], as_version=4))
    assert "Global SHAP values" in html_text and "Partial dependence" in pdf_text
    for text in ("Pre-training bias", "Post-training bias", "Confusion matrix"):
        assert text not in html_text and text not in pdf_text


def test_failed_metrics_show_their_reason(
    failed: tuple[Scenario, list[Path]],
) -> None:
    """Check that failure reasons and "Infinity" appear in the HTML and PDF text."""
    _, paths = failed
    _, html_text = _page(paths[1])
    pdf_text = _pdf_text(paths[2])

    for text in (EMPTY_FACET, "Group variable is empty or not provided", "Infinity"):
        assert text in html_text, text
        assert text in pdf_text, text
    assert "failed metrics" in html_text and "could not be computed" in pdf_text


def test_text_is_escaped(failed: tuple[Scenario, list[Path]]) -> None:
    """Check that markup in facet values and reasons is shown, not interpreted."""
    _, paths = failed
    raw = paths[1].read_text(encoding="utf-8")
    page, html_text = _page(paths[1])
    notebook = nbformat.read(paths[0], as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")

    assert "Other <b>&</b>" in html_text and "<none>" in html_text
    assert "b" not in page.tags and "none" not in page.tags
    assert "Other &lt;b&gt;&amp;&lt;/b&gt;" in raw
    assert "<b>" not in markdown and "<none>" not in markdown


def test_long_facet_value_list_is_kept_whole(
    failed: tuple[Scenario, list[Path]],
) -> None:
    """Check that a long value list is shown in full, wrapped after commas."""
    _, paths = failed
    _, html_text = _page(paths[1])
    pdf_text = _pdf_text(paths[2])

    shown = LONG_VALUE.replace(",", ", ")
    assert shown in html_text
    assert shown in pdf_text


def test_report_name_must_be_a_plain_file_name(tmp_path: Path) -> None:
    """Check that a report name with a folder in it is refused."""
    with pytest.raises(AnalysisError, match="methods.report.name"):
        write_report(
            tmp_path,
            name="../report",
            title="t",
            analysis={"version": "1.0"},
            run_record=None,
            summary=None,
            local_shap=None,
        )


def test_empty_analysis_still_renders(tmp_path: Path) -> None:
    """Check that a job with no analysis output still gets a valid report."""
    paths = write_report(
        tmp_path,
        name="report",
        title="Empty <job>",
        analysis=json.loads('{"version": "1.0"}'),
        run_record=None,
        summary=None,
        local_shap=None,
    )
    _, html_text = _page(paths[1])

    nbformat.validate(nbformat.read(paths[0], as_version=4))
    assert "no analysis" in html_text and "Empty <job>" in html_text
    assert paths[2].read_bytes().startswith(b"%PDF-")
