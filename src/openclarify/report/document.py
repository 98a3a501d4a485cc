"""The report's content as a list of blocks, shared by the three renderings.

``build_document`` reads the analysis, the run record, the dataset summary and
the local SHAP values, and returns headings, paragraphs, tables, notices and
figures (PNG). The notebook, HTML and PDF writers only lay these blocks out,
so the three files always carry the same tables and charts.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from openclarify.report import charts
from openclarify.report.glossary import as_number, note_for, reading
from openclarify.report.summary import ConfusionCounts, DatasetSummary, GroupStats

logger = logging.getLogger(__name__)

STAGES: tuple[tuple[str, str], ...] = (
    ("pre_training_bias_metrics", "Pre-training bias"),
    ("post_training_bias_metrics", "Post-training bias"),
)
TOP_LOCAL_FEATURES = 10
ABRIDGE_CHARS = 80
MISSING = "–"


@dataclass(frozen=True)
class Heading:
    """A section (level 2) or subsection (level 3) title."""

    text: str
    level: int
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Notice:
    """A highlighted paragraph: an error (failed metric) or a note."""

    text: str
    kind: Literal["error", "note"] = "note"


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``numeric`` columns are right-aligned."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    widths: tuple[float, ...]
    failed: tuple[bool, ...] = ()

    def is_failed(self, row: int) -> bool:
        """Return whether row ``row`` reports a failure."""
        return row < len(self.failed) and self.failed[row]


@dataclass(frozen=True)
class Figure:
    """A chart as PNG bytes with its caption (also the alternative text)."""

    png: bytes
    caption: str


Block = Heading | Paragraph | Notice | Table | Figure


@dataclass
class Document:
    """The whole report: a title, a subtitle and blocks in reading order."""

    title: str
    subtitle: str
    blocks: list[Block] = field(default_factory=list)

    def contents(self) -> list[Heading]:
        """Return the level-2 headings, for a table of contents."""
        return [b for b in self.blocks if isinstance(b, Heading) and b.level == 2]


def build_document(
    *,
    title: str,
    analysis: Mapping[str, Any],
    run_record: Mapping[str, Any] | None,
    summary: DatasetSummary | None,
    local_shap: pd.DataFrame | None,
) -> Document:
    """Return the report's blocks for the analyses present.

    Parameters
    ----------
    title : str
        The report title (``methods.report.title``).
    analysis : Mapping
        The ``analysis.json`` content (contract section 3.2).
    run_record : Mapping or None
        The run record (``RunRecord.to_dict()``).
    summary : DatasetSummary or None
        Dataset statistics; without it the dataset section and the confusion
        matrices are left out.
    local_shap : DataFrame or None
        Local SHAP values, columns ``<feature>_<label>``.

    Returns
    -------
    Document
        The content, ready for any of the renderers.
    """
    record = dict(run_record or {})
    document = Document(title=title, subtitle=_subtitle(record))
    blocks = document.blocks
    blocks.extend(_overview(analysis, summary, local_shap))
    if summary is not None:
        blocks.extend(_dataset_section(summary))
    for key, name in STAGES:
        if isinstance(analysis.get(key), Mapping):
            blocks.extend(_bias_section(key, name, analysis[key], summary))
    explanations = analysis.get("explanations")
    if isinstance(explanations, Mapping):
        kernel_shap = explanations.get("kernel_shap")
        if isinstance(kernel_shap, Mapping) and kernel_shap:
            blocks.extend(_shap_section(kernel_shap, local_shap))
        pdp = explanations.get("pdp")
        if isinstance(pdp, Sequence) and pdp:
            blocks.extend(_pdp_section(pdp))
    if record:
        blocks.extend(_run_record_section(record))
    return document


def format_number(value: Any) -> str:
    """Return a value as short, readable text.

    Integers get thousands separators, floats four significant digits,
    ``"Infinity"`` strings stay as they are, None becomes a dash.
    """
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    if 1e-4 <= abs(number) < 1e6:
        return f"{number:.4g}"
    return f"{number:.3e}"


def format_rate(rate: float | None) -> str:
    """Return a rate in [0, 1] as a percentage with one decimal."""
    return MISSING if rate is None else f"{rate:.1%}"


def shown_value(value: str) -> str:
    """Return a facet value list as shown: a space after each comma, to wrap."""
    return re.sub(r",(?=\S)", ", ", value)


def _abridged(value: str, limit: int = ABRIDGE_CHARS) -> str:
    text = shown_value(value)
    if len(text) <= limit:
        return text
    n_values = value.count(",") + 1
    return f"{text[: limit - 1]}… ({n_values} values)"


def slug(text: str) -> str:
    """Return an anchor name made of lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _subtitle(record: Mapping[str, Any]) -> str:
    parts = ["openclarify"]
    if record.get("openclarify_version"):
        parts[0] += f" {record['openclarify_version']}"
    if record.get("start_time"):
        parts.append(f"run started {record['start_time']}")
    return ", ".join(parts)


def _overview(
    analysis: Mapping[str, Any],
    summary: DatasetSummary | None,
    local_shap: pd.DataFrame | None,
) -> list[Block]:
    present = []
    if summary is not None:
        present.append("dataset statistics")
    present += [name.lower() for key, name in STAGES if key in analysis]
    explanations = analysis.get("explanations") or {}
    if explanations.get("kernel_shap"):
        present.append("global SHAP values")
    if local_shap is not None:
        present.append("local SHAP distributions")
    if explanations.get("pdp"):
        present.append("partial dependence")
    text = "This report covers: " + (", ".join(present) or "no analysis") + "."
    text += (
        " Values are rounded to four significant digits; analysis.json holds "
        "the exact values."
    )
    blocks: list[Block] = [Paragraph(text)]
    if any(key in analysis for key, _ in STAGES):
        blocks.append(
            Paragraph(
                "Bias metrics compare a facet group (the rows holding the facet "
                "value) with the rest of the dataset."
            )
        )
    return blocks


def _dataset_section(summary: DatasetSummary) -> list[Block]:
    blocks: list[Block] = [Heading("Dataset", 2, "dataset")]
    text = f"{summary.rows:,} rows and {summary.columns:,} columns."
    if summary.label is not None:
        text += f" Label column: {summary.label}."
    if summary.label_positive_count is not None:
        text += (
            f" Positive labels: {summary.label_positive_count:,} "
            f"({format_rate(summary.label_positive_rate)})."
        )
    if summary.predicted_positive_count is not None:
        text += (
            f" Positive predictions: {summary.predicted_positive_count:,} "
            f"({format_rate(summary.predicted_positive_rate)})."
        )
    blocks.append(Paragraph(text))
    blocks.append(Paragraph("Columns: " + ", ".join(summary.column_names)))
    if summary.label_positive_count is not None:
        blocks.append(Figure(charts.label_chart(summary), "Label distribution"))

    for facet, groups in summary.facets.items():
        blocks.append(Heading(f"Facet {facet}", 3, slug(f"dataset-{facet}")))
        blocks.append(_facet_table(groups))
        if groups:
            caption = f"Group sizes and positive rates for facet {facet}"
            if len(groups) > charts.MAX_GROUPS:
                caption += (
                    f" (the {charts.MAX_GROUPS} largest of {len(groups)} values; "
                    "the table lists all)"
                )
            blocks.append(Figure(charts.facet_chart(facet, groups), caption))
    return blocks


def _facet_table(groups: Sequence[GroupStats]) -> Table:
    rows = tuple(
        (
            shown_value(group.value),
            f"{group.size:,}",
            f"{group.complement_size:,}",
            format_rate(group.label_positive_rate),
            format_rate(group.complement_label_positive_rate),
            format_rate(group.predicted_positive_rate),
            format_rate(group.complement_predicted_positive_rate),
        )
        for group in groups
    )
    return Table(
        columns=(
            "Facet value",
            "Rows in group",
            "Rows in rest",
            "Label positive, group",
            "Label positive, rest",
            "Predicted positive, group",
            "Predicted positive, rest",
        ),
        rows=rows,
        numeric=(False,) + (True,) * 6,
        widths=(3.0, 1.2, 1.2, 1.3, 1.3, 1.3, 1.3),
    )


def _bias_section(
    key: str,
    name: str,
    section: Mapping[str, Any],
    summary: DatasetSummary | None,
) -> list[Block]:
    anchor = slug(name)
    blocks: list[Block] = [Heading(name, 2, anchor)]
    label = section.get("label", MISSING)
    positive = section.get("label_value_or_threshold", MISSING)
    blocks.append(Paragraph(f"Label column: {label}. Positive label: {positive}."))

    facets = section.get("facets") or {}
    codes = _metric_codes(facets)
    if codes:
        blocks.append(_glossary_table(codes))

    # Failures are grouped by facet value and reason, listing the metric codes.
    failures: dict[tuple[str, str, str], list[str]] = {}
    number = 0
    for facet, entries in facets.items():
        groups = {
            g.value: g for g in (summary.facets.get(facet, ()) if summary else ())
        }
        for entry in entries:
            number += 1
            value = str(entry.get("value_or_threshold", MISSING))
            heading = f"Facet {facet} = {_abridged(value)}"
            blocks.append(Heading(heading, 3, f"{anchor}-{number}"))
            if len(shown_value(value)) > ABRIDGE_CHARS:
                blocks.append(Paragraph(f"Facet values: {shown_value(value)}"))
            table, failed = _metrics_table(entry.get("metrics") or [])
            blocks.append(table)
            for code, reason in failed:
                failures.setdefault((facet, value, reason), []).append(code)
            group = groups.get(value)
            if key == "post_training_bias_metrics" and group and group.confusion:
                blocks.append(_confusion_table(group))

    if failures:
        count = sum(len(codes) for codes in failures.values())
        blocks.append(Heading(f"{name}: failed metrics", 3, f"{anchor}-failed"))
        blocks.append(
            Notice(f"{count} metric value(s) could not be computed.", "error")
        )
        rows = tuple(
            (facet, _abridged(value), ", ".join(codes), reason)
            for (facet, value, reason), codes in failures.items()
        )
        blocks.append(
            Table(
                columns=("Facet", "Facet value", "Metrics", "Reason"),
                rows=rows,
                numeric=(False,) * 4,
                widths=(1.2, 2.4, 1.6, 4.0),
                failed=(True,) * len(rows),
            )
        )
    return blocks


def _metric_codes(facets: Mapping[str, Any]) -> list[str]:
    codes: dict[str, None] = {}
    for entries in facets.values():
        for entry in entries:
            for metric in entry.get("metrics") or []:
                codes.setdefault(str(metric.get("name", "")), None)
    return sorted(codes)


def _glossary_table(codes: Sequence[str]) -> Table:
    rows = []
    for code in codes:
        note = note_for(code)
        if note is None:
            rows.append((code, MISSING, MISSING, MISSING))
            continue
        sign = f"Above {format_number(note.neutral)}: {note.above} Below: {note.below}"
        rows.append((f"{code}: {note.name}", note.measures, note.value_range, sign))
    return Table(
        columns=("Metric", "What it measures", "Range", "What the sign means"),
        rows=tuple(rows),
        numeric=(False,) * 4,
        widths=(1.8, 3.0, 1.2, 3.4),
    )


def _metrics_table(
    metrics: Sequence[Mapping[str, Any]],
) -> tuple[Table, list[tuple[str, str]]]:
    rows = []
    failed_flags = []
    failures = []
    for metric in metrics:
        code = str(metric.get("name", ""))
        note = note_for(code)
        name = note.name if note else str(metric.get("description", code))
        error = metric.get("error")
        value = metric.get("value")
        if error is not None:
            rows.append((code, name, "failed", f"Not computed: {error}"))
            failures.append((code, str(error)))
        else:
            read = reading(code, value) if as_number(value) is not None else ""
            rows.append((code, name, format_number(value), read))
        failed_flags.append(error is not None)
    table = Table(
        columns=("Metric", "Name", "Value", "Reading"),
        rows=tuple(rows),
        numeric=(False, False, True, False),
        widths=(0.9, 2.8, 1.1, 4.6),
        failed=tuple(failed_flags),
    )
    return table, failures


def _confusion_table(group: GroupStats) -> Table:
    rows = []
    for side, counts in (
        (f"group ({group.value})", group.confusion),
        ("rest", group.complement_confusion),
    ):
        if counts is None:
            continue
        rows.append((side, *_confusion_cells(counts)))
    return Table(
        columns=("Confusion matrix", "TP", "FP", "TN", "FN", "Accuracy"),
        rows=tuple(rows),
        numeric=(False,) + (True,) * 5,
        widths=(3.0, 1.0, 1.0, 1.0, 1.0, 1.2),
    )


def _confusion_cells(counts: ConfusionCounts) -> tuple[str, ...]:
    total = counts.tp + counts.fp + counts.tn + counts.fn
    accuracy = (counts.tp + counts.tn) / total if total else None
    numbers = (counts.tp, counts.fp, counts.tn, counts.fn)
    return (*(f"{n:,}" for n in numbers), format_rate(accuracy))


def _shap_section(
    kernel_shap: Mapping[str, Any], local_shap: pd.DataFrame | None
) -> list[Block]:
    blocks: list[Block] = [Heading("Feature attributions (SHAP)", 2, "shap")]
    blocks.append(
        Paragraph(
            "Global SHAP values aggregate the per-row attributions over the "
            "explained rows; a larger value means the feature moves the model "
            "output more."
        )
    )
    for label, result in kernel_shap.items():
        values = {
            str(name): float(as_number(value) or 0.0)
            for name, value in (result.get("global_shap_values") or {}).items()
        }
        blocks.append(Heading(f"Output {label}", 3, slug(f"shap-{label}")))
        expected = format_number(result.get("expected_value"))
        blocks.append(Paragraph(f"Expected value (baseline model output): {expected}."))
        if not values:
            blocks.append(Notice("No global SHAP values were reported.", "note"))
            continue
        blocks.append(
            Figure(
                charts.shap_bar_chart(str(label), values),
                f"Global SHAP values, {label}",
            )
        )
        ranked = sorted(values.items(), key=lambda item: -abs(item[1]))
        blocks.append(
            Table(
                columns=("Rank", "Feature", "Global SHAP value"),
                rows=tuple(
                    (str(rank), name, format_number(value))
                    for rank, (name, value) in enumerate(ranked, start=1)
                ),
                numeric=(True, False, True),
                widths=(0.6, 4.0, 1.6),
            )
        )
        if local_shap is not None:
            blocks.extend(_local_blocks(str(label), ranked, local_shap))
    return blocks


def _local_blocks(
    label: str, ranked: Sequence[tuple[str, float]], local_shap: pd.DataFrame
) -> list[Block]:
    columns = {}
    for name, _ in ranked:
        column = f"{name}_{label}"
        if column in local_shap.columns:
            columns[name] = local_shap[column].to_numpy(dtype=float)
        if len(columns) == TOP_LOCAL_FEATURES:
            break
    if not columns:
        return [Notice(f"No local SHAP columns named <feature>_{label} were found.")]
    caption = (
        f"Distribution of local SHAP values over {len(local_shap):,} rows, "
        f"top {len(columns)} features, {label}"
    )
    return [Figure(charts.shap_violin_chart(label, columns), caption)]


def _pdp_section(entries: Sequence[Mapping[str, Any]]) -> list[Block]:
    blocks: list[Block] = [Heading("Partial dependence", 2, "pdp")]
    blocks.append(
        Paragraph(
            "Each panel shows the average model output when the feature is set "
            "to each grid value for every row; grey bars show the share of rows "
            "near each grid value."
        )
    )
    good = [entry for entry in entries if "error" not in entry]
    bad = [entry for entry in entries if "error" in entry]
    for number, png in enumerate(charts.pdp_charts(good), start=1):
        blocks.append(Figure(png, f"Partial dependence plots ({number})"))
    if bad:
        blocks.append(Notice("Partial dependence was not computed for:", "error"))
        blocks.append(
            Table(
                columns=("Feature", "Data type", "Reason"),
                rows=tuple(
                    (
                        str(entry.get("feature_name", MISSING)),
                        str(entry.get("data_type", MISSING)),
                        str(entry["error"]),
                    )
                    for entry in bad
                ),
                numeric=(False, False, False),
                widths=(2.0, 1.2, 5.0),
                failed=(True,) * len(bad),
            )
        )
    return blocks


def _run_record_section(record: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = [Heading("Run record", 2, "run-record")]
    fields = (
        ("openclarify version", record.get("openclarify_version")),
        ("Config digest", record.get("config_digest")),
        ("Dataset fingerprint", record.get("dataset_fingerprint")),
        ("Rows", record.get("rows")),
        ("Hosts", ", ".join(map(str, record.get("hosts") or [])) or None),
        ("Start time (UTC)", record.get("start_time")),
    )
    seeds = record.get("seeds") or {}
    rows = [(name, format_number(value)) for name, value in fields]
    rows += [(f"Seed: {name}", format_number(value)) for name, value in seeds.items()]
    blocks.append(Table(("Field", "Value"), tuple(rows), (False, False), (2.0, 6.0)))

    versions = record.get("library_versions") or {}
    if versions:
        blocks.append(
            Table(
                ("Library", "Version"),
                tuple((str(k), str(v)) for k, v in versions.items()),
                (False, False),
                (2.0, 6.0),
            )
        )
    durations = record.get("durations") or {}
    if durations:
        total = sum(float(v) for v in durations.values())
        rows = [(str(k), f"{float(v):.2f}") for k, v in durations.items()]
        rows.append(("total", f"{total:.2f}"))
        blocks.append(
            Table(("Phase", "Seconds"), tuple(rows), (False, True), (2.0, 6.0))
        )
    return blocks
