"""Output files of a job: ``analysis.json``, local SHAP values, the run record,
and the report as notebook, HTML and PDF.

Public API::

    write_analysis_json(path, analysis)
    write_local_shap(out_dir, frame, *, parts=None)
    write_shap_part(folder, number, frame)
    write_baseline(out_dir, baseline)
    write_run_record(path, record)
    RunRecord, RunRecorder, config_digest, fingerprint_files, fingerprint_frame
    DatasetSummary, summarize_dataset
    write_report(output_dir, *, name, title, analysis, run_record, summary,
                 local_shap)
"""

from __future__ import annotations

from openclarify.report.outputs import (
    write_analysis_json,
    write_baseline,
    write_local_shap,
    write_run_record,
    write_shap_part,
)
from openclarify.report.record import (
    RunRecord,
    RunRecorder,
    config_digest,
    fingerprint_files,
    fingerprint_frame,
    library_versions,
)
from openclarify.report.render import write_report
from openclarify.report.summary import (
    ConfusionCounts,
    DatasetSummary,
    GroupStats,
    summarize_dataset,
)

__all__ = [
    "ConfusionCounts",
    "DatasetSummary",
    "GroupStats",
    "RunRecord",
    "RunRecorder",
    "config_digest",
    "fingerprint_files",
    "fingerprint_frame",
    "library_versions",
    "summarize_dataset",
    "write_analysis_json",
    "write_baseline",
    "write_local_shap",
    "write_report",
    "write_run_record",
    "write_shap_part",
]
