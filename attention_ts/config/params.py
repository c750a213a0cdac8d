"""params.yaml as pydantic models: every key typed and checked before any work.

The models below are the schema (pydantic v2, strict: no silent type
coercion, unknown keys refused). `build` is the one boundary where a
pydantic ValidationError becomes the project's one-line ParamsError naming
the key, the value and what is allowed; checks that span several keys raise
ParamsError themselves.

params.yaml is read as DVC reads and rewrites it (`dvc exp run -S key=value`):
as YAML 1.2, with ruamel.yaml's safe loader. So `1e-05`, which DVC writes for
0.00001, is a number, and `no`, `off` or `True` are text, not the booleans of
YAML 1.1. `dataset.classes` names classes in the user's data file, so it is
read a second time with every plain scalar kept as its text: `no` is 'no',
`1.0` is '1.0', `007` is '007', whether quoted or not (DVC drops the quotes
whenever it rewrites the file).
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.constructor import SafeConstructor

from attention_ts.config.catalog import (
    ANOMALY_KINDS,
    DATA_SUFFIXES,
    TASKS,
    archive_datasets,
    split_counts,
    synthetic_class_counts,
)
from attention_ts.core import resources
from attention_ts.core.stage import PipelineError

PARAMS_FILE = Path("params.yaml")
MODEL_NAMES = (
    "mlp",
    "cnn",
    "rnn",
    "lstm",
    "bilstm",
    "bilstm_attention",
    "local_attention",
    "conv_attention",
    "transformer",
    "minirocket",
    "flat_run_rule",
)
# models whose weights are not None
ATTENTION_MODELS = ("bilstm_attention", "local_attention", "conv_attention")
ONE_PROCESS_MODELS = ("minirocket", "flat_run_rule")  # fixed features: no data-parallel training
SYNTHETIC_ONLY = ("flat_run_rule",)  # models made for the flat segment of the synthetic task
FULL_RESOLUTION = ("conv_attention",)  # model.downsample = auto is 1: a step per point
EXPLANATION_METHODS = ("attention", "saliency", "integrated_gradients", "occlusion")
REMOVAL_POLICIES = ("interpolate", "mean")  # what replaces a removed point (faithfulness.py)
MIN_SEGMENT_POINTS = 2
MAX_INT = 2**53  # integers are multiplied by fractions: beyond this, floats are not exact
MINIROCKET_MIN_KERNELS = 84  # MiniRocket's fixed kernel set; features come in multiples of it
MINIROCKET_MIN_POINTS = 9  # its kernels are 9 points long
AUTO_STEPS = 25  # model.downsample = auto: the stride that leaves about this many steps
LOCAL_MIN_STRIDE = 3  # model.downsample = auto: the least stride of local_attention

T = TypeVar("T", bound=BaseModel)


class ParamsError(PipelineError):
    """A params value or key that the pipeline does not accept."""


def _distinct(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError("distinct values (one is listed twice)")
    return values


Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Positive = Annotated[int, Field(gt=0, le=MAX_INT)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Text = Annotated[str, Field(min_length=1)]
Names = Annotated[list[Text], AfterValidator(_distinct)]


def _label(text: str) -> str:
    """A class label as the files' labels are compared: surrounding spaces are not part of it."""
    if not text.strip():
        raise ValueError("labels as written in the data file, not empty")
    return text.strip()


Labels = Annotated[list[Annotated[str, AfterValidator(_label)]], AfterValidator(_distinct)]


def subset(names: tuple[str, ...]) -> Any:
    """The type "a list of one or more distinct `names`"."""
    return Annotated[list[Literal[names]], Field(min_length=1), AfterValidator(_distinct)]


class Section(BaseModel):
    """A params section: strict types, every key required, no unknown key."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Range(Section):
    """Values `min, min + step, ...` below `max` (like numpy.arange); min == max fixes the value."""

    min: Number
    max: Number
    step: Annotated[float, Field(gt=0, allow_inf_nan=False)]

    def values(self) -> list[float]:
        count = max(1, math.ceil((self.max - self.min) / self.step - 1e-9))
        return [round(self.min + k * self.step, 10) for k in range(count)]

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min <= max (min {self.min} is greater than max {self.max})")
        return self


class PositiveRange(Range):
    min: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    max: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class StartRange(Range):  # where a segment starts, as a fraction of the series
    min: Annotated[float, Field(ge=0, lt=1)]
    max: Annotated[float, Field(ge=0, lt=1)]


class LengthRange(Range):  # how long a segment is, as a fraction of the series
    min: Annotated[float, Field(gt=0, le=1)]
    max: Annotated[float, Field(gt=0, le=1)]


class DatasetParams(Section):
    """Where the series come from: the generator, or labelled files of the user's."""

    source: Literal["generate", "file"]
    path: str = Field(description="a .csv, .tsv, .ts or .arff path relative to the repository root")
    test_path: str = Field(
        description='"" (split dataset.path into train/val/test), or the official test file'
    )
    label_column: Text
    classes: Labels = Field(
        description="a list of distinct labels as written in the data file ([] = every label)"
    )
    missing: Literal["refuse", "interpolate"]

    def has_test_file(self) -> bool:
        """True when `test_path` names an official test file (not empty, not `path` itself)."""
        return self.test_path.strip() != "" and Path(self.test_path) != Path(self.path)

    def files(self) -> dict[str, Path]:
        """The files the pipeline reads: {"dataset.path": ..., "dataset.test_path": ...}."""
        if self.source != "file":
            return {}
        found = {"dataset.path": Path(self.path)}
        if self.has_test_file():
            found["dataset.test_path"] = Path(self.test_path)
        return found

    def model_post_init(self, context: Any) -> None:
        if len(self.classes) == 1:
            raise ParamsError(
                f"dataset.classes = {self.classes} names one class; allowed: two or more labels "
                "in the order wanted, or [] for every label of the file"
            )
        if self.source != "file":
            return
        for name, value in (("path", self.path), ("test_path", self.test_path)):
            if name == "test_path" and value.strip() == "":
                continue
            if Path(value).suffix.lower() not in DATA_SUFFIXES:
                raise ParamsError(
                    f"dataset.{name} = {value!r} is not a .csv, .tsv, .ts or .arff file; allowed: "
                    "a .csv (header row, a label column and values), a UCR/UEA .tsv (label "
                    "first), or a .ts or .arff file of the UCR/UEA archive"
                    + ("" if name == "path" else ', or "" (no test file: split dataset.path)')
                )


class GenerateParams(Section):
    n_series: Positive
    n_points: Positive
    anomaly_fraction: Fraction
    anomalies: subset(ANOMALY_KINDS)  # balanced among the anomalous series
    task: Literal[TASKS]  # binary: normal vs anomalous; multiclass: normal vs each kind
    amplitude: PositiveRange
    frequency: PositiveRange
    segment_start: StartRange
    segment_length: LengthRange
    noise: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    seed: Count

    def model_post_init(self, context: Any) -> None:
        shortest = math.floor(self.segment_length.min * self.n_points + 1e-9)
        if shortest < MIN_SEGMENT_POINTS:
            raise ParamsError(
                f"generate.segment_length.min = {self.segment_length.min} gives flat segments of "
                f"{shortest} points at generate.n_points = {self.n_points}; allowed: "
                f"segment_length.min * n_points >= {MIN_SEGMENT_POINTS}"
            )


class SplitParams(Section):
    train: Annotated[float, Field(gt=0, le=1)]
    val: Annotated[float, Field(ge=0, le=1)]  # 0: no validation, a fixed budget
    test: Annotated[float, Field(gt=0, le=1)]
    seed: Count

    def fractions(self) -> tuple[float, float, float]:
        return (self.train, self.val, self.test)

    def official(self) -> tuple[float, float]:
        """(train, val) fractions of a train file when the test set is its own file."""
        return (self.train / (self.train + self.val), self.val / (self.train + self.val))

    def model_post_init(self, context: Any) -> None:
        total = sum(self.fractions())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ParamsError(
                f"split: train + val + test = {total:g}; allowed: fractions that sum to 1"
            )


Stride = Annotated[
    Annotated[int, Field(ge=1, le=MAX_INT)] | Literal["auto"],
    Field(
        description="an integer >= 1 (1 = no conv front end, the original model), or auto "
        f"(a stride that leaves about {AUTO_STEPS} steps)"
    ),
]


class ModelParams(Section):
    name: Literal[MODEL_NAMES]
    hidden_size: Positive
    downsample: Stride
    conv_channels: Positive
    standardize: bool
    dropout: Annotated[float, Field(ge=0, lt=1)]
    n_kernels: Annotated[int, Field(ge=MINIROCKET_MIN_KERNELS, le=MAX_INT)]


class TrainParams(Section):
    optimizer: Literal["adam", "adamw", "sgd"]
    lr: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    weight_decay: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    grad_clip: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    schedule: Literal["none", "onecycle", "cosine"]
    batch_size: Annotated[int, AfterValidator(resources.check_batch_size)]
    max_epochs: Positive
    min_steps: Count
    patience: Positive
    seed: Count
    threads: Annotated[int, AfterValidator(resources.check_threads)]
    device: Literal["auto", "cpu", "cuda"]
    processes: Annotated[int, AfterValidator(resources.check_processes)]


class EvaluateParams(Section):
    threshold: Annotated[float, Field(gt=0, lt=1)]


class PlotParams(Section):
    n_per_class: Positive
    seed: Count


class LocalizationParams(Section):
    tolerance: Count
    heatmap_series: Positive


class FaithfulnessParams(Section):
    """The tests of the explanations (attention_ts/explain/faithfulness.py), on test series."""

    methods: subset(EXPLANATION_METHODS)  # explanation methods to test
    n_series: Positive  # test series drawn for the curves and the randomization
    steps: Positive  # deletion/insertion curves at k = 0, 1/steps, ..., 1 of the points
    policies: subset(REMOVAL_POLICIES)  # what replaces a removed point
    top_share: Annotated[float, Field(gt=0, le=1)]  # contiguity: runs among this share
    ig_steps: Positive  # Integrated Gradients: points on the path from the baseline
    occlusion_window: Positive  # occlusion: points hidden at a time
    seed: Count  # draws the series, the random order and the re-initialized layers


class BenchmarkParams(Section):
    """The archive benchmark (benchmark/dvc.yaml): which datasets, models and resamples."""

    datasets: Annotated[Names, Field(min_length=1)]  # classification datasets aeon ships
    models: Annotated[Names, Field(min_length=2)]  # entries of `compare`, with their settings
    resamples: Annotated[list[Count], Field(min_length=1), AfterValidator(_distinct)]
    val: Annotated[float, Field(gt=0, lt=1)]  # of each train split, to validate on
    seed: Count  # seeds the validation split
    explain: Names  # models whose attention and saliency on resample 0 are drawn
    plot_series: Positive  # test series per class in each of those pictures
    model: dict  # changes to model.* on archive data, for every model, after compare.<model>

    def model_post_init(self, context: Any) -> None:
        if 0 not in self.resamples:
            raise ParamsError(
                f"benchmark.resamples = {self.resamples} lacks 0; allowed: a list with 0 (the "
                "official split, on which the attention pictures are drawn), e.g. [0, 1, 2]"
            )
        applicable = [name for name in MODEL_NAMES if name not in SYNTHETIC_ONLY]
        for name in self.models:  # each needs a compare entry too: Params checks that
            if name not in applicable:
                raise ParamsError(
                    f"benchmark.models: {name!r} is not a model for archive data; allowed: "
                    + ", ".join(applicable)
                )
        drawable = [name for name in ATTENTION_MODELS if name in self.models]
        for name in self.explain:
            if name not in drawable:
                raise ParamsError(
                    f"benchmark.explain: {name!r} is not an attention model of benchmark.models; "
                    f"allowed: {', '.join(drawable) or '[] (benchmark.models has none)'}"
                )
        shipped = archive_datasets()
        for name in self.datasets:
            if name not in shipped:
                raise ParamsError(
                    f"benchmark.datasets: {name!r} is not a classification dataset aeon ships"
                    f"{_hint(name, shipped)}; allowed: {', '.join(shipped)}"
                )


class Params(Section):
    dataset: DatasetParams
    generate: GenerateParams
    split: SplitParams
    model: ModelParams
    train: TrainParams
    evaluate: EvaluateParams
    plot: PlotParams
    localization: LocalizationParams
    faithfulness: FaithfulnessParams
    n_seeds: Positive  # training seeds of the documented runs (attention_ts/cli/seeds.py)
    compare: dict  # model name -> its changes to model.* and train.*; see compare_config
    benchmark: BenchmarkParams

    def model_post_init(self, context: Any) -> None:
        if self.train.processes > 1 and self.model.name in ONE_PROCESS_MODELS:
            raise ParamsError(
                f"train.processes = {self.train.processes} with model.name = {self.model.name}, "
                "whose features are fitted once, in one process; allowed: train.processes = 1 "
                f"for {' and '.join(ONE_PROCESS_MODELS)}"
            )
        if self.dataset.source == "generate":  # a file's series are checked when it is read
            generate = self.generate
            check_model_fits(self.model, "model", generate.n_points)
            resources.check_batch_memory(self.train.batch_size, 1, generate.n_points, "train")
            origin = (
                f"with generate.n_series = {generate.n_series} and generate.anomaly_fraction = "
                f"{generate.anomaly_fraction}"
            )
            if generate.task == "multiclass":  # each kind is a class
                origin += f" shared by {len(generate.anomalies)} kinds (generate.task = multiclass)"
            counts = synthetic_class_counts(
                generate.n_series, generate.anomaly_fraction, generate.task, generate.anomalies
            )
            check_split_sizes(counts, self.split, origin)
        if not self.compare:
            raise ParamsError(
                f"compare = {self.compare} is invalid; allowed: a mapping of model names "
                f"({', '.join(MODEL_NAMES)}) to their changes, at least one"
            )
        for name in self.compare:
            self.compare_config(name)
        _changed(self.model, self.benchmark.model, "benchmark.model", self.model.name)

    def compare_config(self, name: str) -> tuple[ModelParams, TrainParams]:
        """model.* and train.* of `name` in the comparison: the shared ones, changed by its entry.

        `compare: {cnn: {train: {lr: 0.002}}}` trains the cnn like every other
        model except for its learning rate; each entry is checked like the
        sections it changes. Raises ParamsError (one line).
        """
        key = f"compare.{name}"
        if name not in MODEL_NAMES:
            raise ParamsError(
                f"{key} is not a known model{_hint(name, MODEL_NAMES, 'compare.')}; allowed: "
                + ", ".join(MODEL_NAMES)
            )
        changes = self.compare[name] or {}
        if not isinstance(changes, dict) or not set(changes) <= {"model", "train"}:
            raise ParamsError(
                f"{key} = {changes!r} is invalid; allowed: {{}} or a mapping with model and/or "
                "train keys, e.g. {train: {lr: 0.002}}"
            )
        model = _changed(self.model, changes.get("model"), f"{key}.model", name)
        train = _changed(self.train, changes.get("train"), f"{key}.train", name)
        if self.dataset.source == "generate":
            check_model_fits(model, f"{key}.model", self.generate.n_points)
            resources.check_batch_memory(train.batch_size, 1, self.generate.n_points, key)
        return model, train

    def benchmark_config(self, name: str) -> tuple[ModelParams, TrainParams]:
        """`name`'s settings on archive data: `compare_config(name)`, changed by benchmark.model.

        `benchmark: {model: {standardize: false}}` gives every model of the
        benchmark the series as the archive has them; the compare entry
        still sets what differs between models. Raises ParamsError (one line).
        """
        model, train = self.compare_config(name)
        return _changed(model, self.benchmark.model, "benchmark.model", name), train


def resolve_config(model: ModelParams, n_points: int) -> ModelParams:
    """`model` with `downsample = auto` made a number for series of `n_points` points.

    auto is n_points // AUTO_STEPS (at least 1): 20 for the default 500
    points, 6 for GunPoint's 150, 1 (no front end) below 50 points, so the
    recurrence runs over about 25 steps whatever the length. local_attention
    gets at least LOCAL_MIN_STRIDE (series of 24 points or more): each of its
    steps is embedded from 5 neighbouring steps only, which without the front
    end's conv are 5 raw points, too few to see a shape (measured on
    ItalyPowerDemand, 24 points: test accuracy 0.91 at stride 1, 0.96 at 3).
    """
    if model.downsample != "auto":
        return model
    stride = 1 if model.name in FULL_RESOLUTION else max(1, n_points // AUTO_STEPS)
    if model.name == "local_attention":  # its windows need the front end's conv (see below)
        stride = max(stride, min(LOCAL_MIN_STRIDE, n_points // 8))
    return model.model_copy(update={"downsample": stride})


def min_points(model: ModelParams, n_points: int) -> int:
    """The fewest valid points a series needs for `model` trained on `n_points`-point series:
    one full step of its conv front end (its stride), and 2 (standardizing needs a spread).

    A shorter series would reach the model as a single step made mostly of padding.
    """
    return max(2, resolve_config(model, n_points).downsample)


def check_model_fits(model: ModelParams, key: str, n_points: int) -> None:
    """Settings that are valid alone but not for series of `n_points` points: ParamsError."""
    model = resolve_config(model, n_points)
    if model.downsample > n_points:
        raise ParamsError(
            f"{key}.downsample = {model.downsample} is longer than the series "
            f"({n_points} points); allowed: <= the number of points"
        )
    if model.name == "minirocket" and n_points < MINIROCKET_MIN_POINTS:
        raise ParamsError(
            f"{key}.name = minirocket needs series of at least {MINIROCKET_MIN_POINTS} points, "
            f"not {n_points}; allowed: another model or longer series"
        )


def check_split_sizes(
    counts: dict[str, int], split: SplitParams, origin: str, test_file: bool = False
) -> str | None:
    """Train and test must hold every class; validation takes what classes can spare.

    `counts` maps each class name to its series count; `origin` says where
    they come from, for the message. With `test_file` the test set is an
    official file, and train and val share train + val (`split.official`).
    A class too small to hold out validation stays in train (`split_counts`).
    Returns None when every class holds out validation, else the one line
    that says which do not. Raises ParamsError naming the first class with no
    train or test series.
    """
    fractions = split.official() if test_file else split.fractions()
    sizes = {kind: split_counts(count, fractions) for kind, count in counts.items()}
    for kind, parts in sizes.items():
        empty = "train" if parts[0] == 0 else "test" if not test_file and parts[2] == 0 else None
        if empty:
            raise ParamsError(
                f"split.{empty} = {getattr(split, empty)} gets no series of class {kind!r} "
                f"({counts[kind]} series {origin}); allowed: a class in train and test: at "
                "least 2 series of it, or 1 and an official test file (dataset.test_path)"
            )
    short = [kind for kind, parts in sizes.items() if parts[1] == 0]
    if not short:
        return None
    if len(short) == len(sizes):
        fewest, most = min(counts.values()), max(counts.values())
        spread = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        return (
            f"validation: none (split.val = {split.val} of {spread} series a class rounds to 0): "
            "training runs every epoch of its budget (train.max_epochs) and keeps the last"
        )
    named = ", ".join(map(repr, short[:3]))
    if len(short) > 3:
        named += f" and {len(short) - 3} more"
    return (
        f"validation: class {named} ({min(counts[k] for k in short)} series or fewer) too small "
        f"to hold out split.val = {split.val}: kept in train, validated on the other classes"
    )


def _changed(shared: T, change: Any, key: str, name: str) -> T:
    """`shared` (ModelParams or TrainParams) with the keys of the mapping `change` set.

    `change` None is no change; `key` names it in messages; `name` is the
    model the settings are for (model.name cannot be changed). The result is
    checked as its section is. Raises ParamsError (one line).
    """
    section = "model" if isinstance(shared, ModelParams) else "train"
    change = {} if change is None else change
    if not isinstance(change, dict):
        raise ParamsError(
            f"{key} = {change!r} is invalid; allowed: a mapping of {section}.* keys to new values"
        )
    if section == "model":
        if "name" in change:
            raise ParamsError(
                f"{key}.name cannot be set: these are the settings of {name}; allowed: the "
                "other model.* keys"
            )
        change = {**change, "name": name}
    return build(type(shared), {**shared.model_dump(), **change}, key)


def _hint(name: Any, known: Any, prefix: str = "") -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""


def _shown(value: Any) -> str:
    """A value as the message shows it: text quoted, a control character escaped."""
    return repr(value) if isinstance(value, str) else str(value)


def _field(cls: type[BaseModel], loc: tuple) -> tuple[Any, Any, str, bool]:
    """Where pydantic's error location `loc` points in `cls`: (annotation, FieldInfo or None,
    dotted key, whether it is an item of a list). A union member's tag ends the walk."""
    annotation, info, names, item = cls, None, [], False
    for part in loc:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if part not in annotation.model_fields:
                break
            info = annotation.model_fields[part]
            annotation, item = info.annotation, False
            names.append(str(part))
        elif isinstance(part, int):
            annotation, info, item = _unwrap(annotation)[0], None, True
            annotation = (get_args(annotation) or (Any,))[0]
        else:
            break
    return annotation, info, ".".join(names), item


def _unwrap(annotation: Any) -> tuple[Any, list]:
    """(the bare type, its annotated_types constraints) of an Annotated type."""
    metadata: list = []
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata += [m for item in extra for m in getattr(item, "metadata", [item])]
    return annotation, metadata


def _bounds(metadata: list) -> str:
    """ " in [0, 1)", " > 0", ... from annotated_types constraints; "" when there are none."""
    low = high = None
    for item in metadata:
        if isinstance(item, annotated_types.Gt):
            low = ("(", item.gt)
        elif isinstance(item, annotated_types.Ge) and item.ge != -MAX_INT:
            low = ("[", item.ge)
        elif isinstance(item, annotated_types.Lt):
            high = (")", item.lt)
        elif isinstance(item, annotated_types.Le) and abs(item.le) != MAX_INT:
            high = ("]", item.le)
    if low and high:
        return f" in {low[0]}{low[1]:g}, {high[1]:g}{high[0]}"
    if low:
        return f" {'>' if low[0] == '(' else '>='} {low[1]:g}"
    return f" {'<' if high[0] == ')' else '<='} {high[1]:g}" if high else ""


def allowed(annotation: Any, info: Any = None) -> str:
    """What a field of `annotation` (with pydantic FieldInfo `info`) accepts, in words."""
    if info is not None and info.description:
        return info.description
    annotation, metadata = _unwrap(annotation)
    metadata += list(info.metadata) if info is not None else []
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(map(str, get_args(annotation)))
    if origin is list:
        least = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), 0)
        size = {0: "a list of", 1: "a non-empty list of"}.get(least, f"a list of {least} or more")
        item = allowed(get_args(annotation)[0])
        if item.startswith("one of "):
            return f"{size} distinct values among " + item[len("one of ") :]
        return f"{size} distinct values, each {item}"
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "an integer" + _bounds(metadata)
    if annotation is float:
        bounds = _bounds(metadata)
        fraction = bounds.startswith((" in [0,", " in (0,")) and bounds.endswith((" 1]", " 1)"))
        return ("a fraction" if fraction else "a finite number") + bounds
    if annotation is str:
        return "non-empty text"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping with the keys " + ", ".join(annotation.model_fields)
    return "a mapping of keys to values"


def params_error(error: ValidationError, cls: type[BaseModel], key: str) -> ParamsError:
    """The first problem of a pydantic ValidationError as one ParamsError line.

    An unknown key comes first (so a misspelled key is named, not the key it
    leaves missing), then the others in the order of the fields. `key` is
    the dotted prefix of the mapping validated ("" for the whole file).
    """
    problem = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    kind, loc, value = problem["type"], problem["loc"], problem["input"]
    annotation, info, dotted, item = _field(cls, loc)
    full = ".".join(part for part in (key, dotted) if part)
    if kind in ("extra_forbidden", "missing"):
        parent = _field(cls, loc[:-1])[0]
        names = list(parent.model_fields) if isinstance(parent, type) else []
        section = ".".join(part for part in (key, _field(cls, loc[:-1])[2]) if part)
        if kind == "missing":
            return ParamsError(
                f"{full} is missing; {section or 'params.yaml'} needs: " + ", ".join(names)
            )
        name = loc[-1] if isinstance(loc[-1], str) and loc[-1].isprintable() else repr(loc[-1])
        where = f"{section}." if section else ""
        return ParamsError(
            f"{where}{name} is not a known parameter{_hint(loc[-1], names, where)}; allowed keys "
            f"in {section or 'params.yaml'}: {', '.join(names)}"
        )
    rule = str(problem["ctx"]["error"]) if kind == "value_error" else allowed(annotation, info)
    if kind == "less_than_equal" and problem["ctx"]["le"] == MAX_INT:
        rule += ", at most 2**53 (above it, floats are not exact)"
    bare = _unwrap(annotation)[0]
    hint = _hint(value, get_args(bare)) if get_origin(bare) is Literal else ""
    if item:  # pydantic gives the item, not the list
        return ParamsError(f"{full}: {_shown(value)} is invalid{hint}; allowed: {rule}")
    return ParamsError(f"{full} = {_shown(value)} is invalid{hint}; allowed: {rule}")


def build(cls: type[T], raw: Any, key: str = "") -> T:
    """Validate the mapping `raw` as `cls`; `key` names it in messages. Raises ParamsError."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{key or 'params.yaml'} = {_shown(raw)} is invalid; allowed: a mapping of keys"
        )
    try:
        return cls.model_validate(raw)
    except ValidationError as error:
        raise params_error(error, cls, key) from None


class _TextConstructor(SafeConstructor):
    """The safe constructor, but nulls, booleans, numbers and dates stay the text written."""


for _kind in ("null", "bool", "int", "float", "timestamp"):
    _TextConstructor.add_constructor(f"tag:yaml.org,2002:{_kind}", SafeConstructor.construct_scalar)


def _load_yaml(text: str, constructor: type[SafeConstructor]) -> Any:
    yaml = YAML(typ="safe", pure=True)  # pure: ruamel's own parser, which implements YAML 1.2
    yaml.Constructor = constructor
    return yaml.load(text)


def read_params_file(path: Path = PARAMS_FILE) -> Any:
    """The params file as DVC reads it (YAML 1.2), dataset labels as the text written.

    Returns what the file holds (a dict for any usable params.yaml), not yet
    validated: see `build`. The labels of `dataset.classes` are strings,
    exactly as written (`no` -> 'no', `1.0` -> '1.0'). Raises ParamsError,
    in one line, when the file is missing, not UTF-8 or not valid YAML (a
    duplicated key included, as DVC refuses it too).
    """
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ParamsError(f"{path} not found; run from the repository root") from None
    except UnicodeDecodeError as error:
        raise ParamsError(
            f"{path} is not UTF-8 text (byte {error.start}: {error.reason}); allowed: a YAML "
            "file saved as UTF-8"
        ) from None
    try:
        raw = _load_yaml(text, SafeConstructor)
        written = _load_yaml(text, _TextConstructor)
    except Exception as error:  # ruamel raises more than YAMLError: `!!bool x` is a KeyError
        reason = error if isinstance(error, YAMLError) else f"{type(error).__name__}: {error}"
        raise ParamsError(f"{path} is not valid YAML: {' '.join(str(reason).split())}") from None
    dataset = raw.get("dataset") if isinstance(raw, dict) else None
    if isinstance(dataset, dict) and "classes" in dataset:
        raw = {**raw, "dataset": {**dataset, "classes": written["dataset"]["classes"]}}
    return raw


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate the params file; raise ParamsError naming the first bad key."""
    return build(Params, read_params_file(path))
