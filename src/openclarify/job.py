"""The analyses of one job, in order, on the leader; the worker hosts' part.

``run_analyses`` reads the config and the data, starts the model sidecar and
the Dask cluster when the model must be called, runs the bias metrics, Kernel
SHAP and partial dependence, and writes every output into the staging folder
that ``entrypoint.py`` publishes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openclarify import __version__
from openclarify.config import AnalysisConfig, load_config
from openclarify.config.model import PredictorConfig
from openclarify.entrypoint import PhaseTimer, results_complete
from openclarify.errors import ConfigError
from openclarify.runtime import (
    Environment,
    HostInfo,
    JobPaths,
    find_config_file,
    read_host_info,
)

logger = logging.getLogger(__name__)

SIDECAR_URL_SETTING = "OPENCLARIFY_SIDECAR_URL"
SIDECAR_BINARY_SETTING = "OPENCLARIFY_SIDECAR_BINARY"
DEFAULT_SEED = 0
# Synthetic rows one SHAP block sends to the model; keeps blocks a few MB.
SYNTHETIC_ROWS_PER_BLOCK = 120_000
PREDICT_ROWS_PER_BLOCK = 100_000

LABEL_ABSENT_MESSAGE = (
    "no row of the label column {column!r} holds any of the values {values}; "
    "the values found include {found}. Set label_values_or_threshold to values "
    "that occur in the label column."
)


@dataclass(frozen=True)
class Outcome:
    """What the entrypoint does after the analyses: publish outputs or not."""

    publishes_outputs: bool


def run_analyses(paths: JobPaths, env: Environment, *, staging: Path) -> Outcome:
    """Run the job on this host, writing results into ``staging``.

    Returns
    -------
    Outcome
        Whether this host's staging folder holds results to publish (only the
        leader's does).
    """
    timer = PhaseTimer()
    started_at = datetime.now(timezone.utc)

    with timer.phase("Reading the analysis config"):
        config_path = find_config_file(paths.config_dir)
        logger.info("Analysis config path: %s", config_path)
        config = load_config(config_path)
        hosts = read_host_info(paths.resource_config)
    logger.info(
        "This host is %s; %d host(s) in the cluster; leader %s",
        hosts.current_host,
        len(hosts.hosts),
        hosts.leader,
    )
    shap = config.methods.shap
    if (
        shap is not None
        and shap.save_local_shap_values
        and len(hosts.hosts) > 1
        and config.joinsource_name_or_index is None
    ):
        logger.warning(
            "save_local_shap_values is set on %d hosts without "
            "joinsource_name_or_index: the local values are written as part "
            "files in input order, but set joinsource_name_or_index to match "
            "them to input rows by an identifier",
            len(hosts.hosts),
        )

    with contextlib.ExitStack() as stack:
        endpoint = None
        if config.needs_model:
            endpoint = _start_endpoint(config, paths, env, stack, timer)

        if not hosts.is_leader:
            _serve_as_worker(hosts, env, endpoint, timer)
            return Outcome(publishes_outputs=False)

        leader = _Leader(config, paths, env, hosts, timer, stack, endpoint)
        leader.run(staging, config_path=config_path, started_at=started_at)
    return Outcome(publishes_outputs=True)


@dataclass(frozen=True)
class _Endpoint:
    url: str
    binary: bool


class _Leader:
    """The leader's run: data, cluster, analyses, outputs."""

    def __init__(
        self,
        config: AnalysisConfig,
        paths: JobPaths,
        env: Environment,
        hosts: HostInfo,
        timer: PhaseTimer,
        stack: contextlib.ExitStack,
        endpoint: _Endpoint | None,
    ) -> None:
        self.config = config
        self.paths = paths
        self.env = env
        self.hosts = hosts
        self.timer = timer
        self.stack = stack
        self.endpoint = endpoint
        self.client: Any = None

    def run(self, staging: Path, *, config_path: Path, started_at: datetime) -> None:
        from openclarify.io import load_dataset, resolve_source

        config, timer = self.config, self.timer
        with timer.phase("Loading the dataset"):
            source = resolve_source(config, self.paths.data_dir)
            logger.info("Dataset type: %s uri: %s", config.dataset_type, source)
            data = load_dataset(config, source)
            logger.info(
                "Dataset: %d rows, %d columns, %d features",
                len(data.frame),
                data.frame.shape[1],
                len(data.features),
            )
        columns = _resolve_bias_columns(config, data.frame)

        if self.endpoint is not None:
            self.client = self._start_cluster()

        analysis: dict[str, Any] = {"version": "1.0"}
        frame = data.frame
        predicted_column = data.predicted_label
        if config.methods.post_training_bias is not None and predicted_column is None:
            with timer.phase("Predicting labels for post-training bias"):
                frame, predicted_column = self._predict_labels(data)

        if config.methods.pre_training_bias is not None:
            with timer.phase("Computing pre-training bias metrics"):
                analysis["pre_training_bias_metrics"] = self._bias(
                    frame, columns, "pre_training", None, data.features
                )
        if config.methods.post_training_bias is not None:
            with timer.phase("Computing post-training bias metrics"):
                analysis["post_training_bias_metrics"] = self._bias(
                    frame, columns, "post_training", predicted_column, data.features
                )

        shap_outputs = None
        if config.methods.shap is not None:
            with timer.phase("Computing Kernel SHAP"):
                shap_outputs = self._kernel_shap(data)
            analysis.setdefault("explanations", {})["kernel_shap"] = shap_outputs[
                "kernel_shap"
            ]
        if config.methods.pdp is not None:
            with timer.phase("Computing partial dependence"):
                pdp = self._pdp(data, shap_outputs)
            analysis.setdefault("explanations", {})["pdp"] = pdp

        with timer.phase("Writing the outputs"):
            self._write(
                staging,
                analysis,
                data=data,
                frame=frame,
                columns=columns,
                predicted_column=predicted_column,
                shap_outputs=shap_outputs,
                config_path=config_path,
                started_at=started_at,
            )
            # Stopping the cluster and the model server comes next; a signal
            # that arrives meanwhile no longer costs the finished results.
            results_complete()

    # -- cluster and model calls ---------------------------------------------

    def _start_cluster(self) -> Any:
        from openclarify.cluster import HostLayout, JobCluster

        assert self.endpoint is not None
        layout = HostLayout(
            hosts=self.hosts.hosts,
            current_host=self.hosts.current_host,
        )
        with self.timer.phase("Starting the Dask cluster"):
            cluster = JobCluster.start(
                layout,
                scheduler_address=self.env.scheduler_address,
                n_workers=self.env.n_workers,
                threads_per_worker=2,
                worker_env=_worker_env(self.endpoint),
                join_timeout=self.env.join_timeout,
            )
            self.stack.enter_context(cluster)
        return cluster.client

    def _predict_labels(self, data: Any) -> tuple[pd.DataFrame, str]:
        from openclarify.cluster import block_ranges, run_blocks

        config = self.config
        assert config.predictor is not None
        features = data.frame.loc[:, list(data.features)]
        blocks = [
            features.iloc[start:stop]
            for start, stop in block_ranges(len(features), PREDICT_ROWS_PER_BLOCK)
        ]
        parts = run_blocks(
            self.client,
            predict_block,
            blocks,
            phase="predictions",
            rows=[len(block) for block in blocks],
            predictor=config.predictor,
            feature_names=tuple(data.features),
            probability_threshold=config.probability_threshold,
        )
        labels = np.concatenate(parts, axis=0)
        column = _unused_name("predicted_label", data.frame.columns)
        frame = data.frame.assign(**{column: labels})
        logger.info(
            "We assume a prediction above %.3f indicates 1 and below or equal "
            "indicates 0.",
            config.probability_threshold,
        )
        return frame, column

    # -- bias -------------------------------------------------------------------

    def _bias(
        self,
        frame: pd.DataFrame,
        columns: _BiasColumns,
        stage: str,
        predicted_column: str | None,
        features: Sequence[str],
    ) -> dict[str, Any]:
        from openclarify.bias import bias_section

        config = self.config
        methods = (
            config.methods.pre_training_bias
            if stage == "pre_training"
            else config.methods.post_training_bias
        )
        assert methods is not None and config.label_values_or_threshold is not None
        return bias_section(
            frame,
            label=columns.label,
            label_values_or_threshold=config.label_values_or_threshold,
            facets=columns.facets,
            group_variable=columns.group_variable,
            methods=methods.methods,
            stage=stage,  # type: ignore[arg-type]
            predicted_label=predicted_column,
            feature_columns=tuple(features),
        )

    # -- explanations -----------------------------------------------------------

    def _kernel_shap(self, data: Any) -> dict[str, Any]:
        from openclarify.cluster import block_ranges, run_blocks
        from openclarify.explain import aggregate, coalition_design, resolve_n_samples

        config = self.config
        shap = config.methods.shap
        assert shap is not None and config.predictor is not None
        features = list(data.features)
        explain = _explained_indexes(shap.features_to_explain, features)

        baseline = self._baseline(data)
        self.baseline = baseline
        seed = DEFAULT_SEED if shap.seed is None else shap.seed
        n_players = len(explain)
        n_samples = resolve_n_samples(n_players, shap.num_samples)
        design = coalition_design(n_players, n_samples, seed=seed)
        logger.info(
            "SHAP n_samples %d (%d coalitions), %d baseline row(s), %d features",
            n_samples,
            design.n_coalitions,
            len(baseline),
            n_players,
        )

        rows = data.frame.loc[:, features].to_numpy(dtype=np.float64)
        block_rows = self.env.block_rows or max(
            1, SYNTHETIC_ROWS_PER_BLOCK // max(1, design.n_coalitions * len(baseline))
        )
        blocks = [
            rows[start:stop] for start, stop in block_ranges(len(rows), block_rows)
        ]
        results = run_blocks(
            self.client,
            shap_block,
            blocks,
            phase="kernel SHAP",
            rows=[len(block) for block in blocks],
            baseline=baseline.to_numpy(dtype=np.float64),
            design=design,
            use_logit=shap.use_logit,
            explain=tuple(explain),
            predictor=config.predictor,
            feature_names=tuple(features),
        )
        values = np.concatenate([result.values for result in results], axis=0)
        expected = results[0].expected_value if results else np.zeros(1)

        labels = _output_labels(config.predictor, values.shape[2])
        explained_names = [features[index] for index in explain]
        global_values = aggregate(values, shap.agg_method)
        kernel_shap: dict[str, Any] = {}
        for output, label in enumerate(labels):
            kernel_shap[label] = {
                "global_shap_values": {
                    name: float(global_values[position, output])
                    for position, name in enumerate(explained_names)
                },
                "expected_value": float(expected[output]),
            }

        local = None
        if shap.save_local_shap_values:
            local = _local_shap_frame(values, explained_names, labels, data)
        return {
            "kernel_shap": kernel_shap,
            "local": local,
            "labels": labels,
            "global": global_values,
            "explained": explained_names,
        }

    def _baseline(self, data: Any) -> pd.DataFrame:
        from openclarify.explain import cluster_baseline
        from openclarify.io import load_baseline

        shap = self.config.methods.shap
        assert shap is not None
        features = list(data.features)
        if shap.baseline is not None:
            baseline = load_baseline(shap.baseline, self.config, features)
        else:
            frame = data.frame.loc[:, features]
            categorical = [
                name
                for name in features
                if not pd.api.types.is_numeric_dtype(frame[name])
            ]
            baseline = cluster_baseline(
                frame,
                num_clusters=shap.num_clusters,
                categorical=categorical,
                seed=DEFAULT_SEED if shap.seed is None else shap.seed,
            )
        return baseline.loc[:, features]

    def _pdp(self, data: Any, shap_outputs: dict[str, Any] | None) -> list[Any]:
        from openclarify.explain import partial_dependence, select_pdp_features
        from openclarify.serving.client import PredictorClient

        config = self.config
        pdp = config.methods.pdp
        assert pdp is not None and config.predictor is not None and self.endpoint
        features = list(data.features)

        if pdp.features is not None:
            chosen = [
                _feature_name(ref, features, "methods.pdp.features")
                for ref in pdp.features
            ]
        else:
            assert shap_outputs is not None
            chosen = select_pdp_features(
                shap_outputs["global"], shap_outputs["explained"], pdp.top_k_features
            )

        client = PredictorClient(
            self.endpoint.url,
            config.predictor,
            feature_names=features,
            binary=self.endpoint.binary,
        )
        rows = data.frame.loc[:, features]
        numeric = rows.to_numpy(dtype=np.float64)
        labels = None
        entries = []
        for name in chosen:
            column = rows[name]
            categorical = not pd.api.types.is_numeric_dtype(column)
            if labels is None:
                n_outputs = client.predict(numeric[:1]).shape[1]
                labels = _output_labels(config.predictor, n_outputs)
            entries.append(
                partial_dependence(
                    numeric,
                    client.predict,
                    feature_index=features.index(name),
                    grid_resolution=pdp.grid_resolution,
                    categorical=categorical,
                    feature_name=name,
                    label_headers=labels,
                )
            )
        return entries

    # -- outputs -----------------------------------------------------------------

    def _write(
        self,
        staging: Path,
        analysis: dict[str, Any],
        *,
        data: Any,
        frame: pd.DataFrame,
        columns: _BiasColumns,
        predicted_column: str | None,
        shap_outputs: dict[str, Any] | None,
        config_path: Path,
        started_at: datetime,
    ) -> None:
        from openclarify.report import (
            RunRecord,
            config_digest,
            fingerprint_files,
            library_versions,
            write_analysis_json,
            write_baseline,
            write_local_shap,
            write_run_record,
        )

        write_analysis_json(staging / "analysis.json", analysis)
        if shap_outputs is not None:
            write_baseline(staging, self.baseline)
            local = shap_outputs["local"]
            if local is not None:
                parts = _part_count(len(local), len(self.hosts.hosts))
                write_local_shap(staging, local, parts=parts)

        record = RunRecord(
            openclarify_version=__version__,
            config_digest=config_digest(json.loads(config_path.read_text("utf-8"))),
            dataset_fingerprint=fingerprint_files(data.sources),
            rows=len(frame),
            hosts=self.hosts.hosts,
            seeds=_seeds(self.config),
            library_versions=library_versions(),
            start_time=started_at.isoformat(),
            durations=dict(self.timer.durations),
        )

        report = self.config.methods.report
        if report is not None:
            from openclarify.report import summarize_dataset, write_report

            summary = summarize_dataset(
                frame,
                label=columns.label or _label_name(self.config, frame),
                label_positive=_label_positive(frame, columns, self.config),
                facets=_facet_masks(frame, columns),
                predicted_positive=_predicted_positive(
                    frame, predicted_column, self.config
                ),
            )
            with self.timer.phase("Writing the report"):
                write_report(
                    staging,
                    name=report.name,
                    title=report.title,
                    analysis=analysis,
                    run_record=record.to_dict(),
                    summary=summary,
                    local_shap=shap_outputs["local"] if shap_outputs else None,
                )
            # The record on disk also times the report it went into.
            record = dataclasses.replace(record, durations=dict(self.timer.durations))
        write_run_record(staging / "run_record.json", record)


# -- tasks that run on Dask workers ------------------------------------------------

_CLIENTS: dict[tuple[Any, ...], Any] = {}


def predict_block(
    block: pd.DataFrame,
    *,
    predictor: PredictorConfig,
    feature_names: tuple[str, ...],
    probability_threshold: float,
) -> np.ndarray:
    """Predict the labels of one block of rows through this host's endpoint."""
    client = _host_client(predictor, feature_names)
    return client.predict_labels(block, probability_threshold=probability_threshold)


def shap_block(
    rows: np.ndarray,
    *,
    baseline: np.ndarray,
    design: Any,
    use_logit: bool,
    explain: tuple[int, ...],
    predictor: PredictorConfig,
    feature_names: tuple[str, ...],
) -> Any:
    """Explain one block of rows with Kernel SHAP through this host's endpoint."""
    from openclarify.explain import kernel_shap

    client = _host_client(predictor, feature_names)
    return kernel_shap(
        rows,
        baseline,
        client.predict,
        design=design,
        use_logit=use_logit,
        explain=list(explain),
    )


def _host_client(predictor: PredictorConfig, feature_names: tuple[str, ...]) -> Any:
    from openclarify.cluster import host_setting
    from openclarify.serving.client import PredictorClient

    url = host_setting(SIDECAR_URL_SETTING)
    if not url:
        raise RuntimeError(
            f"{SIDECAR_URL_SETTING} is not set on this worker; the host that "
            "started it did not publish its model endpoint"
        )
    binary = host_setting(SIDECAR_BINARY_SETTING) == "1"
    key = (url, binary, predictor, feature_names)
    client = _CLIENTS.get(key)
    if client is None:
        client = PredictorClient(
            url, predictor, feature_names=feature_names, binary=binary
        )
        _CLIENTS[key] = client
    return client


# -- helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _BiasColumns:
    label: str
    facets: tuple[Any, ...]
    group_variable: str | None


def _start_endpoint(
    config: AnalysisConfig,
    paths: JobPaths,
    env: Environment,
    stack: contextlib.ExitStack,
    timer: PhaseTimer,
) -> _Endpoint:
    predictor = config.predictor
    assert predictor is not None
    name = predictor.endpoint_name or ""
    if name.startswith(("http://", "https://")):
        logger.info("Using the model endpoint at %s", name)
        return _Endpoint(url=name.rstrip("/"), binary=False)

    from openclarify.serving.model import find_model
    from openclarify.serving.sidecar import Sidecar, SidecarSupervisor

    if predictor.endpoint_name:
        raise ConfigError(
            "predictor.endpoint_name",
            predictor.endpoint_name,
            "an http:// or https:// URL of a running endpoint is accepted "
            "(SageMaker endpoint names need the SageMaker runtime)",
            "Give the endpoint's URL, or use model_name with the model under "
            "processing/input/model/.",
        )
    with timer.phase("Starting the model server"):
        model_path = find_model(paths.model_dir, predictor.model_name)
        workers = predictor.initial_instance_count or 1
        sidecar = Sidecar.start(
            model_path, workers=workers, ready_timeout=env.sidecar_timeout
        )
        stack.enter_context(sidecar)
        stack.enter_context(SidecarSupervisor(sidecar))
        logger.info("Model server for %s ready at %s", model_path.name, sidecar.url)
    return _Endpoint(url=sidecar.url, binary=True)


def _serve_as_worker(
    hosts: HostInfo, env: Environment, endpoint: _Endpoint | None, timer: PhaseTimer
) -> None:
    from openclarify.cluster import HostLayout, run_worker_host
    from openclarify.errors import ClusterError

    layout = HostLayout(hosts=hosts.hosts, current_host=hosts.current_host)
    with timer.phase("Serving as a Dask worker host"):
        code = run_worker_host(
            layout,
            scheduler_address=env.scheduler_address,
            n_workers=env.n_workers,
            threads_per_worker=2,
            worker_env=_worker_env(endpoint) if endpoint else {},
            join_timeout=env.join_timeout,
            leader_lost_timeout=30.0,
        )
    if code != 0:
        raise ClusterError(
            f"worker host {hosts.current_host} lost the leader {hosts.leader} "
            f"(exit {code}); see the log above"
        )


def _worker_env(endpoint: _Endpoint | None) -> dict[str, str]:
    if endpoint is None:
        return {}
    return {
        SIDECAR_URL_SETTING: endpoint.url,
        SIDECAR_BINARY_SETTING: "1" if endpoint.binary else "0",
    }


def _resolve_bias_columns(config: AnalysisConfig, frame: pd.DataFrame) -> _BiasColumns:
    from openclarify.config.model import FacetConfig
    from openclarify.io import resolve_column

    columns = list(frame.columns)
    needs_bias = (
        config.methods.pre_training_bias is not None
        or config.methods.post_training_bias is not None
    )
    if not needs_bias:
        return _BiasColumns(label="", facets=(), group_variable=None)

    assert config.label is not None and config.label_values_or_threshold is not None
    label = resolve_column(config.label, columns, key="label")
    facets = tuple(
        FacetConfig(
            name_or_index=resolve_column(
                facet.name_or_index, columns, key=f"facet[{position}].name_or_index"
            ),
            value_or_threshold=facet.value_or_threshold,
        )
        for position, facet in enumerate(config.facet)
    )
    group = None
    if config.group_variable is not None:
        group = resolve_column(config.group_variable, columns, key="group_variable")

    _check_label_values(frame[label], config.label_values_or_threshold)
    return _BiasColumns(label=label, facets=facets, group_variable=group)


def _check_label_values(series: pd.Series, values: Sequence[Any]) -> None:
    # One number against a continuous column is a threshold, which cannot miss.
    threshold = (
        len(values) == 1
        and isinstance(values[0], int | float)
        and not isinstance(values[0], bool)
    )
    continuous = pd.api.types.is_numeric_dtype(series) and (
        series.dtype.kind == "f" or series.nunique() / max(len(series), 1) >= 0.05
    )
    if threshold and continuous:
        return
    present = {str(value) for value in pd.unique(series.dropna())}
    wanted = {str(value) for value in values}
    numeric_present = {_as_number(value) for value in present}
    numeric_wanted = {_as_number(value) for value in wanted}
    if present & wanted or (numeric_present & numeric_wanted) - {None}:
        return
    found = sorted(present)[:10]
    raise ConfigError(
        "label_values_or_threshold",
        list(values),
        LABEL_ABSENT_MESSAGE.format(
            column=series.name, values=list(values), found=found
        ),
    )


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _explained_indexes(
    refs: Sequence[str | int] | None, features: Sequence[str]
) -> list[int]:
    if not refs:
        return list(range(len(features)))
    return [
        features.index(_feature_name(ref, features, "methods.shap.features_to_explain"))
        for ref in refs
    ]


def _feature_name(ref: str | int, features: Sequence[str], key: str) -> str:
    if isinstance(ref, int):
        if 0 <= ref < len(features):
            return features[ref]
    elif ref in features:
        return ref
    raise ConfigError(
        key,
        ref,
        "a feature name or 0-based feature index is accepted; "
        f"features: {list(features)}",
        "Name a column that is sent to the model.",
    )


def _output_labels(predictor: PredictorConfig, n_outputs: int) -> list[str]:
    headers = predictor.label_headers
    if headers is not None and len(headers) == n_outputs:
        return [str(header) for header in headers]
    return [f"label{index}" for index in range(n_outputs)]


def _local_shap_frame(
    values: np.ndarray, names: Sequence[str], labels: Sequence[str], data: Any
) -> pd.DataFrame:
    # values: (n_rows, n_explained, n_outputs) -> one column per feature and output.
    columns: dict[str, Any] = {}
    if data.joinsource is not None:
        columns[data.joinsource] = data.frame[data.joinsource].to_numpy()
    for output, label in enumerate(labels):
        for position, name in enumerate(names):
            columns[f"{name}_{label}"] = values[:, position, output]
    return pd.DataFrame(columns)


def _part_count(n_rows: int, n_hosts: int) -> int | None:
    if n_hosts <= 1:
        return None
    return max(1, min(n_hosts * 4, math.ceil(n_rows / 1000)))


def _seeds(config: AnalysisConfig) -> dict[str, int | None]:
    shap = config.methods.shap
    if shap is None:
        return {}
    return {"shap": DEFAULT_SEED if shap.seed is None else shap.seed}


def _unused_name(base: str, columns: Sequence[str]) -> str:
    name, number = base, 1
    while name in columns:
        name, number = f"{base}_{number}", number + 1
    return name


def _label_name(config: AnalysisConfig, frame: pd.DataFrame) -> str | None:
    """The label column's name for the report, when the config names one."""
    from openclarify.io.table import resolve_column

    if config.label is None:
        return None
    try:
        return resolve_column(config.label, tuple(frame.columns), key="label")
    except ConfigError:
        return None


def _label_positive(
    frame: pd.DataFrame, columns: _BiasColumns, config: AnalysisConfig
) -> np.ndarray | None:
    from openclarify.bias import positive_mask

    if not columns.label or config.label_values_or_threshold is None:
        return None
    return positive_mask(frame[columns.label], config.label_values_or_threshold)


def _facet_masks(
    frame: pd.DataFrame, columns: _BiasColumns
) -> dict[str, dict[str, np.ndarray]]:
    from openclarify.bias import facet_groups

    masks: dict[str, dict[str, np.ndarray]] = {}
    for facet in columns.facets:
        name = str(facet.name_or_index)
        masks[name] = dict(facet_groups(frame[name], facet.value_or_threshold))
    return masks


def _predicted_positive(
    frame: pd.DataFrame, column: str | None, config: AnalysisConfig
) -> np.ndarray | None:
    from openclarify.bias import positive_mask

    if column is None or config.label_values_or_threshold is None:
        return None
    return positive_mask(frame[column], config.label_values_or_threshold)
