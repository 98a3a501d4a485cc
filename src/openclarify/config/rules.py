"""Rules that tie several ``analysis_config.json`` keys together.

The key tables in ``schema.py`` check each value on its own; the rules here
run afterwards, on the values that passed, and check what one key implies for
another: bias metrics need a label and a facet, SHAP needs a predictor, a JSON
Lines model needs a request template, and so on (contract section 2.4).

A rule only judges keys whose own check passed. A key that was given but is
invalid counts as present, so a typo in ``label`` is reported once, not also
as "label is required".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from openclarify.config.constraints import INVALID, MISSING, REQUIRED_HINT
from openclarify.config.model import DATASET_TYPES
from openclarify.config.schema import CONTENT_TYPES
from openclarify.errors import ConfigError

BIAS_METHODS: tuple[str, ...] = (
    "methods.pre_training_bias",
    "methods.post_training_bias",
)
ANALYSES: tuple[str, ...] = ("pre_training_bias", "post_training_bias", "shap", "pdp")
TABULAR_DATASET_TYPES: tuple[str, ...] = DATASET_TYPES
JSON_DATASET_TYPES: tuple[str, ...] = ("application/jsonlines", "application/json")

# Placeholders of the request templates (contract section 2.3).
FEATURES_PLACEHOLDER = "$features"
RECORD_PLACEHOLDER = "$record"
RECORD_TEMPLATE_PLACEHOLDERS: tuple[str, ...] = ("$features", "${")


class View:
    """Read access to a parsed (possibly partial) config by dotted path.

    Parameters
    ----------
    parsed : mapping
        The output of the top-level key table: values, ``MISSING`` for absent
        keys and ``INVALID`` for keys that failed their check.
    raw : mapping
        The JSON object as loaded, for rules that must look at values the
        table rejected (an unsupported dataset type, for instance).
    """

    def __init__(self, parsed: Mapping[str, object], raw: Mapping[str, object]):
        self.parsed = parsed
        self.raw = raw

    def get(self, path: str) -> object:
        """Return the value at ``path``, ``MISSING`` or ``INVALID``."""
        node: object = self.parsed
        for name in path.split("."):
            if node is INVALID or node is MISSING:
                return node
            if not isinstance(node, Mapping):
                return INVALID
            node = node.get(name, MISSING)
        return node

    def as_given(self, path: str) -> object:
        """Return the value at ``path`` as it was in the JSON, for messages."""
        node: object = self.raw
        for name in path.split("."):
            if not isinstance(node, Mapping):
                return MISSING
            node = node.get(name, MISSING)
        return node

    def unknown(self, path: str) -> bool:
        """Whether a section holding ``path`` failed, so ``path`` is unknown."""
        parent, _, _ = path.rpartition(".")
        return bool(parent) and self.get(parent) is INVALID

    def judged(self, path: str) -> bool:
        """Whether a rule may report on ``path``: given and not already invalid."""
        return self.get(path) not in (MISSING, INVALID)

    def given(self, path: str) -> bool:
        """Whether the key at ``path`` was given, valid or not."""
        return self.get(path) is not MISSING

    def dataset_type(self) -> str | None:
        """The dataset type in lower case, even one the table rejected."""
        value = self.raw.get("dataset_type")
        return value.casefold() if isinstance(value, str) else None


class Rule:
    """A check across keys; yields one ConfigError per problem found."""

    def check(self, view: View) -> Iterator[ConfigError]:
        """Yield the problems this rule finds in ``view``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement check(); see the rules "
            "defined in openclarify.config.rules"
        )


@dataclass(frozen=True)
class Requires(Rule):
    """When any ``triggers`` key is given, ``needed`` must be given too.

    ``unless`` lists keys any of which waives the requirement.
    """

    triggers: Sequence[str]
    needed: str
    unless: Sequence[str] = ()
    hint: str = REQUIRED_HINT

    def check(self, view: View) -> Iterator[ConfigError]:
        present = [
            path
            for path in self.triggers
            if view.given(path) and not view.unknown(path)
        ]
        if not present or view.given(self.needed) or view.unknown(self.needed):
            return
        if any(view.given(path) for path in self.unless):
            return
        verb = "is" if len(present) == 1 else "are"
        accepted = f"it is required when {' and '.join(present)} {verb} given"
        if self.unless:
            accepted += f", unless {' or '.join(self.unless)} is given"
        yield ConfigError(self.needed, MISSING, accepted, self.hint)


@dataclass(frozen=True)
class Excludes(Rule):
    """``first`` and ``second`` cannot both be given."""

    first: str
    second: str
    hint: str

    def check(self, view: View) -> Iterator[ConfigError]:
        if view.given(self.first) and view.judged(self.second):
            yield ConfigError(
                self.second,
                view.as_given(self.second),
                f"it is not accepted together with {self.first}",
                self.hint,
            )


@dataclass(frozen=True)
class OnlyForDatasetTypes(Rule):
    """``key`` is only accepted for the listed dataset types."""

    key: str
    dataset_types: Sequence[str]

    def check(self, view: View) -> Iterator[ConfigError]:
        dataset_type = view.dataset_type()
        if dataset_type is None or not view.judged(self.key):
            return
        if dataset_type not in self.dataset_types:
            allowed = ", ".join(self.dataset_types)
            if len(self.dataset_types) > 1:
                allowed = f"one of {allowed}"
            yield ConfigError(
                self.key,
                view.as_given(self.key),
                f"it is only accepted when dataset_type is {allowed}, "
                f"not {dataset_type!r}",
                "Remove the key or convert the dataset.",
            )


@dataclass(frozen=True)
class RequiredForDatasetTypes(Rule):
    """``key`` must be given when the dataset type is one of those listed."""

    key: str
    dataset_types: Sequence[str]
    hint: str

    def check(self, view: View) -> Iterator[ConfigError]:
        dataset_type = view.dataset_type()
        if dataset_type in self.dataset_types and not view.given(self.key):
            yield ConfigError(
                self.key,
                MISSING,
                f"it is required when dataset_type is {dataset_type!r}",
                self.hint,
            )


class AtLeastOneAnalysis(Rule):
    """``methods`` must ask for at least one analysis, not only a report."""

    def check(self, view: View) -> Iterator[ConfigError]:
        methods = view.get("methods")
        if not isinstance(methods, Mapping):
            return
        if any(methods.get(name, MISSING) is not MISSING for name in ANALYSES):
            return
        yield ConfigError(
            "methods",
            view.as_given("methods"),
            f"at least one of {', '.join(ANALYSES)} is required",
            'Add the analysis to run, e.g. "pre_training_bias": {"methods": "all"}.',
        )


class PredictorTarget(Rule):
    """A predictor names a model or an endpoint, and a prefix only with a model."""

    def check(self, view: View) -> Iterator[ConfigError]:
        if not isinstance(view.get("predictor"), Mapping):
            return
        has_model = view.given("predictor.model_name")
        has_endpoint = view.given("predictor.endpoint_name")
        if not has_model and not has_endpoint:
            yield ConfigError(
                "predictor.model_name",
                MISSING,
                "predictor needs model_name or endpoint_name",
                "Add the name of the model to serve.",
            )
        if has_endpoint and view.judged("predictor.endpoint_name_prefix"):
            yield ConfigError(
                "predictor.endpoint_name_prefix",
                view.as_given("predictor.endpoint_name_prefix"),
                "it is not accepted together with predictor.endpoint_name",
                "Remove endpoint_name_prefix: an existing endpoint is not renamed.",
            )


class RequestFormat(Rule):
    """The request media type is known and comes with the templates it needs.

    The content type defaults to the dataset type, which is not a request
    format for Parquet. JSON Lines requests need a ``content_template`` with
    ``$features``; JSON requests need one with ``$record`` or ``$records`` and
    a ``record_template``.
    """

    def check(self, view: View) -> Iterator[ConfigError]:
        if not isinstance(view.get("predictor"), Mapping):
            return
        content_type = view.get("predictor.content_type")
        if content_type is INVALID:
            return
        if content_type is MISSING:
            content_type = view.get("dataset_type")
            if content_type in (MISSING, INVALID):
                return
            if content_type not in CONTENT_TYPES:
                yield ConfigError(
                    "predictor.content_type",
                    MISSING,
                    f"it is required when dataset_type is {content_type!r}, "
                    f"and must be one of {', '.join(CONTENT_TYPES)}",
                    'Add the media type the model accepts, e.g. "text/csv".',
                )
                return

        if content_type == "application/jsonlines":
            yield from self._template(view, FEATURES_PLACEHOLDER, content_type)
        elif content_type == "application/json":
            yield from self._template(view, RECORD_PLACEHOLDER, content_type)
            yield from self._record_template(view)

    def _template(
        self, view: View, placeholder: str, content_type: object
    ) -> Iterator[ConfigError]:
        template = view.get("predictor.content_template")
        if template is INVALID:
            return
        if template is MISSING or placeholder not in str(template):
            yield ConfigError(
                "predictor.content_template",
                template,
                f"a template containing {placeholder} is required for "
                f"content_type {content_type!r}",
                _TEMPLATE_HINTS[placeholder],
            )

    def _record_template(self, view: View) -> Iterator[ConfigError]:
        template = view.get("predictor.record_template")
        if template is INVALID:
            return
        if template is MISSING or not any(
            mark in str(template) for mark in RECORD_TEMPLATE_PLACEHOLDERS
        ):
            yield ConfigError(
                "predictor.record_template",
                template,
                "a template containing $features, $features_kvp or ${name} is "
                "required for content_type 'application/json'",
                'Add e.g. "record_template": "$features".',
            )


class JmesPathColumns(Rule):
    """For JSON datasets, label and predicted_label are JMESPath strings."""

    keys: tuple[str, ...] = ("label", "predicted_label")

    def check(self, view: View) -> Iterator[ConfigError]:
        if view.get("dataset_type") not in JSON_DATASET_TYPES:
            return
        for key in self.keys:
            value = view.get(key)
            if isinstance(value, int):
                yield ConfigError(
                    key,
                    value,
                    "a JMESPath expression (string) for JSON and JSON Lines datasets",
                    f'Write the path to the value, e.g. "{key}".',
                )


_TEMPLATE_HINTS = {
    FEATURES_PLACEHOLDER: 'Add e.g. "content_template": "{\\"features\\": $features}".',
    RECORD_PLACEHOLDER: 'Add e.g. "content_template": "{\\"instances\\": $records}".',
}

_CSV_ONLY = ("text/csv",)
_BIAS_HINT = "Add the key, or remove the bias methods."
_PREDICTOR_HINT = (
    'Add a "predictor" object naming the model, e.g. {"model_name": "my-model"}.'
)

RULES: tuple[Rule, ...] = (
    AtLeastOneAnalysis(),
    Requires(BIAS_METHODS, "label", hint=_BIAS_HINT),
    Requires(BIAS_METHODS, "label_values_or_threshold", hint=_BIAS_HINT),
    Requires(BIAS_METHODS, "facet", hint=_BIAS_HINT),
    Requires(
        ("methods.post_training_bias",),
        "predictor",
        unless=("predicted_label", "predicted_label_dataset_uri"),
        hint=_PREDICTOR_HINT,
    ),
    Requires(("methods.shap", "methods.pdp"), "predictor", hint=_PREDICTOR_HINT),
    Requires(
        ("methods.pdp",),
        "methods.pdp.features",
        unless=("methods.shap",),
        hint="List the features to plot, or add methods.shap to pick the top ones.",
    ),
    Excludes(
        "methods.shap.baseline",
        "methods.shap.num_clusters",
        "Give either an explicit baseline or a number of clusters to build one.",
    ),
    RequiredForDatasetTypes(
        "features",
        ("application/json",),
        'Add the JMESPath of the feature matrix, e.g. "features": "data[*].x".',
    ),
    PredictorTarget(),
    RequestFormat(),
    JmesPathColumns(),
    OnlyForDatasetTypes("predicted_label", TABULAR_DATASET_TYPES),
    OnlyForDatasetTypes("excluded_columns", TABULAR_DATASET_TYPES),
    OnlyForDatasetTypes("facet_dataset_uri", _CSV_ONLY),
    OnlyForDatasetTypes("facet_headers", _CSV_ONLY),
    OnlyForDatasetTypes("predicted_label_dataset_uri", _CSV_ONLY),
    OnlyForDatasetTypes("predicted_label_headers", _CSV_ONLY),
)
