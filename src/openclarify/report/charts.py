"""Charts of the report, drawn with matplotlib's Agg canvas and returned as PNG.

No pyplot: each chart builds its own ``Figure`` on an Agg canvas inside the
function, so the process-wide backend is never touched and charts can be drawn
from any thread.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from openclarify.report.summary import DatasetSummary, GroupStats

logger = logging.getLogger(__name__)

DPI = 110
WIDTH_IN = 7.2
LABEL_CHARS = 28
MAX_BARS = 20
MAX_GROUPS = 25
MAX_VIOLIN_POINTS = 4000
PDP_PER_FIGURE = 6
GROUP_COLOUR = "#c0504d"
REST_COLOUR = "#4f81bd"
BAR_COLOUR = "#2e75b6"
GRID_COLOUR = "#dddddd"
LINE_COLOURS = ("#2e75b6", "#c0504d", "#9bbb59", "#8064a2", "#f79646", "#4bacc6")


def label_chart(summary: DatasetSummary) -> bytes:
    """Bar chart of positive and negative rows, observed and (if any) predicted."""
    figure, axes = _figure(height=1.7)
    kinds = [("Observed label", summary.label_positive_count)]
    if summary.predicted_positive_count is not None:
        kinds.append(("Predicted label", summary.predicted_positive_count))

    names = [name for name, count in kinds if count is not None]
    positives = np.array([count for _, count in kinds if count is not None], float)
    negatives = summary.rows - positives
    rows = np.arange(len(names))
    axes.barh(rows, positives, height=0.6, color=BAR_COLOUR, label="positive")
    axes.barh(
        rows, negatives, height=0.6, left=positives, color="#bfbfbf", label="negative"
    )
    for row, positive in zip(rows, positives, strict=True):
        share = positive / summary.rows if summary.rows else 0.0
        axes.text(positive, row, f" {share:.1%} positive", va="center", fontsize=8)

    axes.set_yticks(rows, [_plain(name) for name in names])
    axes.invert_yaxis()
    axes.set_xlabel("rows")
    axes.legend(
        loc="lower left", bbox_to_anchor=(0, 1), ncols=2, fontsize=8, frameon=False
    )
    _tidy(axes)
    return _png(figure)


def facet_chart(facet: str, groups: Sequence[GroupStats]) -> bytes:
    """Group sizes and positive rates per facet value, group against the rest.

    Shows at most ``MAX_GROUPS`` values, the largest groups first.
    """
    shown = sorted(groups, key=lambda group: -group.size)[:MAX_GROUPS]
    height = 1.6 + (0.34 if _has_predictions(shown) else 0.24) * len(shown)
    figure, (size_axes, rate_axes) = _figure(height=max(2.3, height), columns=2)
    names = [_short(group.value) for group in shown]
    rows = np.arange(len(shown))

    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    # Left: how many rows each facet value covers, beside the rest's count.
    sizes = [group.size for group in shown]
    rest_sizes = [group.complement_size for group in shown]
    size_axes.barh(rows - 0.16, sizes, height=0.32, color=GROUP_COLOUR)
    size_axes.barh(rows + 0.16, rest_sizes, height=0.32, color=REST_COLOUR)
    size_axes.set_yticks(rows, names)
    size_axes.invert_yaxis()
    size_axes.set_xlabel("rows, group and rest")
    size_axes.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    size_axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    size_axes.set_title(_plain(f"{facet}: group sizes"), fontsize=9)
    _tidy(size_axes)

    # Right: positive rates, group against the rest, observed and predicted.
    series = [("label", "label_positive_rate", "complement_label_positive_rate")]
    if _has_predictions(shown):
        series.append(
            (
                "predicted",
                "predicted_positive_rate",
                "complement_predicted_positive_rate",
            )
        )
    bar_height = 0.8 / (2 * len(series))
    for number, (kind, group_key, rest_key) in enumerate(series):
        group_rates = [_zero(getattr(group, group_key)) for group in shown]
        rest_rates = [_zero(getattr(group, rest_key)) for group in shown]
        offset = -0.4 + bar_height * (2 * number + 0.5)
        hatch = "//" if kind == "predicted" else None
        rate_axes.barh(
            rows + offset,
            group_rates,
            height=bar_height,
            color=GROUP_COLOUR,
            hatch=hatch,
            label=f"group, {kind}",
        )
        rate_axes.barh(
            rows + offset + bar_height,
            rest_rates,
            height=bar_height,
            color=REST_COLOUR,
            hatch=hatch,
            label=f"rest, {kind}",
        )
    rate_axes.set_yticks(rows, names)
    rate_axes.invert_yaxis()
    rate_axes.set_xlim(0, 1)
    rate_axes.set_xlabel("positive rate")
    rate_axes.set_title(_plain(f"{facet}: positive rates"), fontsize=9)
    figure.legend(
        *rate_axes.get_legend_handles_labels(),
        loc="outside lower right",
        fontsize=7,
        frameon=False,
        ncols=4,
    )
    _tidy(rate_axes)
    return _png(figure)


def shap_bar_chart(label: str, values: Mapping[str, float]) -> bytes:
    """Sorted horizontal bars of global SHAP values (top ``MAX_BARS``)."""
    ranked = sorted(values.items(), key=lambda item: -abs(item[1]))[:MAX_BARS]
    figure, axes = _figure(height=1.0 + 0.28 * len(ranked))
    rows = np.arange(len(ranked))
    numbers = [value for _, value in ranked]
    axes.barh(rows, numbers, color=BAR_COLOUR)
    axes.set_yticks(rows, [_short(name) for name, _ in ranked])
    axes.invert_yaxis()
    axes.set_xlabel("global SHAP value")
    axes.set_title(_plain(f"Global SHAP values, {label}"), fontsize=10)
    _tidy(axes)
    return _png(figure)


def shap_violin_chart(label: str, local: Mapping[str, np.ndarray]) -> bytes:
    """Violins of local SHAP values, one per feature, in the order given.

    Constant columns (where a density cannot be estimated) are drawn as a
    single marker. At most ``MAX_VIOLIN_POINTS`` evenly spaced rows are used.
    """
    names = list(local)
    figure, axes = _figure(height=1.0 + 0.42 * len(names))
    rows = np.arange(len(names))
    for row, name in zip(rows, names, strict=True):
        values = np.asarray(local[name], dtype=float)
        values = values[np.isfinite(values)]
        if len(values) > MAX_VIOLIN_POINTS:
            values = values[
                np.linspace(0, len(values) - 1, MAX_VIOLIN_POINTS, dtype=int)
            ]
        if len(values) > 1 and np.ptp(values) > 0:
            parts = axes.violinplot(
                values,
                positions=[row],
                orientation="horizontal",
                widths=0.8,
                showextrema=False,
                showmedians=True,
            )
            for body in parts["bodies"]:
                body.set_facecolor(BAR_COLOUR)
                body.set_edgecolor(BAR_COLOUR)
                body.set_alpha(0.55)
            parts["cmedians"].set_color("#1f1f1f")
        elif len(values):
            axes.plot([values[0]], [row], marker="|", markersize=14, color=BAR_COLOUR)

    axes.axvline(0.0, color="#7f7f7f", linewidth=0.8)
    axes.set_yticks(rows, [_short(name) for name in names])
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.set_xlabel("local SHAP value (effect on the model output)")
    axes.set_title(_plain(f"Local SHAP values, {label}"), fontsize=10)
    _tidy(axes)
    return _png(figure)


def pdp_charts(entries: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """Partial dependence plots, up to ``PDP_PER_FIGURE`` features per image.

    Each panel draws one line per label (model output) over the feature's
    grid, with the share of rows per grid point as grey bars behind.
    """
    images = []
    for start in range(0, len(entries), PDP_PER_FIGURE):
        chunk = entries[start : start + PDP_PER_FIGURE]
        n_rows = (len(chunk) + 1) // 2
        figure, grid = _figure(height=2.5 * n_rows, rows=n_rows, columns=2)
        panels = np.atleast_1d(grid).ravel()
        for panel, entry in zip(panels, chunk, strict=False):
            _pdp_panel(panel, entry)
        for panel in panels[len(chunk) :]:
            panel.set_visible(False)
        images.append(_png(figure))
    return images


def _pdp_panel(axes: Axes, entry: Mapping[str, Any]) -> None:
    values = list(entry.get("feature_values", []))
    categorical = entry.get("data_type") == "categorical" or any(
        isinstance(value, str) for value in values
    )
    positions = np.arange(len(values)) if categorical else np.asarray(values, float)

    # The data distribution sits behind the curves on its own axis.
    share = np.asarray(entry.get("data_distribution", []), dtype=float)
    if len(share) == len(values) and len(values):
        behind = axes.twinx()
        width = 0.8 if categorical else _bar_width(positions)
        behind.bar(positions, share, width=width, color="#e6e6e6", zorder=0)
        behind.set_ylim(0, max(float(share.max()) * 3, 1e-9))
        behind.set_yticks([])
        for side in ("top", "right"):
            behind.spines[side].set_visible(False)
        axes.set_zorder(behind.get_zorder() + 1)
        axes.patch.set_visible(False)

    headers = list(entry.get("label_headers") or [])
    for number, curve in enumerate(entry.get("model_predictions", [])):
        name = headers[number] if number < len(headers) else f"label{number}"
        colour = LINE_COLOURS[number % len(LINE_COLOURS)]
        axes.plot(positions, curve, marker="o", markersize=3, color=colour, label=name)
    if categorical:
        ticks = [_short(_tick(value), 12) for value in values]
        axes.set_xticks(positions, ticks)
        if max(map(len, ticks), default=0) > 3:
            axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    axes.set_title(_plain(_short(str(entry.get("feature_name", "")), 40)), fontsize=9)
    axes.set_ylabel("model output", fontsize=8)
    axes.legend(fontsize=7, frameon=False)
    _tidy(axes)


def _figure(*, height: float, rows: int = 1, columns: int = 1) -> tuple[Figure, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=True)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _tidy(axes: Axes) -> None:
    axes.grid(axis="x", color=GRID_COLOUR, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _bar_width(positions: np.ndarray) -> float:
    if len(positions) < 2:
        return 1.0
    gaps = np.diff(np.sort(positions))
    positive = gaps[gaps > 0]
    return float(positive.min()) * 0.9 if len(positive) else 1.0


def _tick(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _has_predictions(groups: Sequence[GroupStats]) -> bool:
    return any(group.predicted_positive_rate is not None for group in groups)


def _zero(rate: float | None) -> float:
    return 0.0 if rate is None else rate


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _plain(text)


def _plain(text: str) -> str:
    # A "$" would switch matplotlib to math text.
    return str(text).replace("$", r"\$")
