"""Load params.yaml into typed dataclasses and validate every value before any work.

The dataclasses below are the schema: each field's type and rule say what is
allowed, and the same text is used in the error message. Unknown keys are
rejected with the closest known key suggested, so a typo never goes unnoticed.

params.yaml is read as DVC reads and rewrites it (`dvc exp run -S key=value`):
as YAML 1.2, with ruamel.yaml's safe loader. So `1e-05`, which DVC writes for
0.00001, is a number, and `no`, `off` or `True` are text, not the booleans of
YAML 1.1. `dataset.classes` names classes in the user's data file, so it is
read a second time with every plain scalar kept as its text, and taken from
that reading: `no` is 'no', `1.0` is '1.0', `007` is '007', whether quoted or
not (DVC drops the quotes whenever it rewrites the file).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NewType, TypeVar, get_type_hints

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.constructor import SafeConstructor

from attention_ts.config.catalog import (
    ANOMALY_KINDS,
    TASKS,
    archive_datasets,
    canonical_label,
    split_counts,
    synthetic_class_counts,
)
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
    "transformer",
    "minirocket",
    "flat_run_rule",
)
ATTENTION_MODELS = ("bilstm_attention", "local_attention")  # models whose weights are not None
ONE_PROCESS_MODELS = ("minirocket", "flat_run_rule")  # fixed features: no data-parallel training
SYNTHETIC_ONLY = ("flat_run_rule",)  # models made for the flat segment of the synthetic task
SOURCES = ("generate", "file")
DATA_SUFFIXES = (".csv", ".tsv", ".ts", ".arff")
MISSING_POLICIES = ("refuse", "interpolate")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "onecycle", "cosine")
DEVICES = ("auto", "cpu", "cuda")
EXPLANATION_METHODS = ("attention", "saliency", "integrated_gradients", "occlusion")
REMOVAL_POLICIES = ("interpolate", "mean")  # what replaces a removed point (faithfulness.py)
MIN_SEGMENT_POINTS = 2
MAX_THREADS = 1024  # torch refuses absurd thread counts with a traceback; stop them here
MAX_INT = 2**53  # integers are multiplied by fractions: beyond this, floats are not exact
MINIROCKET_MIN_KERNELS = 84  # MiniRocket's fixed kernel set; features come in multiples of it
MINIROCKET_MIN_POINTS = 9  # its kernels are 9 points long
LABEL_KEYS = ("classes",)  # dataset.*, read as the text written
AUTO_STEPS = 25  # model.downsample = auto: the stride that leaves about this many steps
LOCAL_MIN_STRIDE = 3  # model.downsample = auto: the least stride of local_attention

T = TypeVar("T")
Labels = NewType("Labels", list)  # class labels as written in a data file, and in params.yaml
Stride = NewType("Stride", object)  # an integer >= 1, or "auto"
Names = NewType("Names", list)  # a list of distinct names
Ids = NewType("Ids", list)  # a non-empty list of distinct integers >= 0


class ParamsError(PipelineError):
    """A params value or key that the pipeline does not accept."""


@dataclass(frozen=True)
class Rule:
    """A check on one value and the words that tell the user what is allowed."""

    check: Callable[[Any], bool]
    allowed: str


def _ruled(check: Callable[[Any], bool], allowed: str) -> Any:
    return field(metadata={"rule": Rule(check, allowed)})


def positive(allowed: str = "> 0") -> Any:
    return _ruled(lambda v: v > 0, allowed)


def non_negative() -> Any:
    return _ruled(lambda v: v >= 0, ">= 0")


def fraction(low_open: bool = False, high_open: bool = False) -> Any:
    low, high = ("(" if low_open else "["), (")" if high_open else "]")

    def check(v: float) -> bool:
        above = v > 0 if low_open else v >= 0
        below = v < 1 if high_open else v <= 1
        return above and below

    return _ruled(check, f"a fraction in {low}0, 1{high}")


def one_of(choices: tuple[str, ...]) -> Any:
    return _ruled(lambda v: v in choices, "one of " + ", ".join(choices))


def subset_of(choices: tuple[str, ...]) -> Any:
    """A rule for a `Names` list: one or more of `choices`."""
    return _ruled(
        lambda v: len(v) > 0 and set(v) <= set(choices), "one or more of " + ", ".join(choices)
    )


@dataclass(frozen=True)
class Range:
    """Values `min, min + step, ...` below `max` (like numpy.arange); min == max fixes the value."""

    min: float
    max: float
    step: float = positive()

    def values(self) -> list[float]:
        count = max(1, math.ceil((self.max - self.min) / self.step - 1e-9))
        return [round(self.min + k * self.step, 10) for k in range(count)]

    def check(self, key: str) -> None:
        if self.min > self.max:
            raise ParamsError(
                f"{key}: min = {self.min} is greater than max = {self.max}; allowed: min <= max"
            )


@dataclass(frozen=True)
class DatasetParams:
    """Where the series come from: the generator, or a labelled file of the user's."""

    source: str = one_of(SOURCES)
    path: str = _ruled(lambda v: v.strip() != "", "a path relative to the repository root")
    test_path: str = _ruled(
        lambda v: v.strip() != "", "a test file, or the same file as dataset.path (no test file)"
    )
    label_column: str = _ruled(lambda v: v.strip() != "", "the header of the label column")
    classes: Labels
    missing: str = one_of(MISSING_POLICIES)

    def has_test_file(self) -> bool:
        """True when `test_path` names an official test file (not `path` itself)."""
        return Path(self.test_path) != Path(self.path)

    def check(self, key: str) -> None:
        canonical = [canonical_label(label) for label in self.classes]
        for k, name in enumerate(canonical):
            if name in canonical[:k]:
                raise ParamsError(
                    f"{key}.classes lists {self.classes[k]!r} twice (as {name!r}); allowed: "
                    "distinct labels, or [] for every label of the file"
                )
        if len(self.classes) == 1:
            raise ParamsError(
                f"{key}.classes = {self.classes} names one class; allowed: two or more labels "
                "in the order wanted, or [] for every label of the file"
            )
        if self.source != "file":
            return
        for name in ("path", "test_path"):
            value = getattr(self, name)
            if Path(value).suffix.lower() not in DATA_SUFFIXES:
                raise ParamsError(
                    f"{key}.{name} = {value!r} is not a .csv, .tsv, .ts or .arff file; allowed: "
                    "a .csv (header row, a label column and values), a UCR/UEA .tsv (label "
                    "first), or a .ts or .arff file of the UCR/UEA archive"
                )


@dataclass(frozen=True)
class GenerateParams:
    n_series: int = positive()
    n_points: int = positive()
    anomaly_fraction: float = fraction()
    anomalies: Names  # kinds of ANOMALY_KINDS, one or more; balanced among the anomalous series
    task: str = one_of(TASKS)  # binary: normal vs anomalous; multiclass: normal vs each kind
    amplitude: Range = positive()
    frequency: Range = positive()
    segment_start: Range = fraction(high_open=True)
    segment_length: Range = fraction(low_open=True)
    noise: float = non_negative()
    seed: int = non_negative()

    def check(self, key: str) -> None:
        if not self.anomalies:
            raise ParamsError(
                f"{key}.anomalies = [] is invalid; allowed: one or more of "
                + ", ".join(ANOMALY_KINDS)
            )
        for name in self.anomalies:
            if name not in ANOMALY_KINDS:
                close = difflib.get_close_matches(name, ANOMALY_KINDS, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ParamsError(
                    f"{key}.anomalies = {self.anomalies}: {name!r} is not an anomaly kind{hint}; "
                    f"allowed: distinct kinds of {', '.join(ANOMALY_KINDS)}"
                )
        shortest = math.floor(self.segment_length.min * self.n_points + 1e-9)
        if shortest < MIN_SEGMENT_POINTS:
            raise ParamsError(
                f"{key}.segment_length.min = {self.segment_length.min} gives flat segments of "
                f"{shortest} points at {key}.n_points = {self.n_points}; allowed: "
                f"segment_length.min * n_points >= {MIN_SEGMENT_POINTS}"
            )


@dataclass(frozen=True)
class SplitParams:
    train: float = fraction(low_open=True)
    val: float = fraction(low_open=True)
    test: float = fraction(low_open=True)
    seed: int = non_negative()

    def fractions(self) -> tuple[float, float, float]:
        return (self.train, self.val, self.test)

    def official(self) -> tuple[float, float]:
        """(train, val) fractions of a train file when the test set is its own file."""
        return (self.train / (self.train + self.val), self.val / (self.train + self.val))

    def check(self, key: str) -> None:
        total = sum(self.fractions())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ParamsError(
                f"{key}: train + val + test = {total:g}; allowed: fractions that sum to 1"
            )


@dataclass(frozen=True)
class ModelParams:
    name: str = one_of(MODEL_NAMES)
    hidden_size: int = positive()
    downsample: Stride  # an integer >= 1 (1 = no conv front end, the original model), or auto
    conv_channels: int = positive()
    standardize: bool
    dropout: float = fraction(high_open=True)
    n_kernels: int = _ruled(lambda v: v >= MINIROCKET_MIN_KERNELS, f">= {MINIROCKET_MIN_KERNELS}")


@dataclass(frozen=True)
class TrainParams:
    optimizer: str = one_of(OPTIMIZERS)
    lr: float = positive()
    weight_decay: float = non_negative()
    grad_clip: float = non_negative()
    schedule: str = one_of(SCHEDULES)
    batch_size: int = positive()
    max_epochs: int = positive()
    min_steps: int = non_negative()
    patience: int = positive()
    seed: int = non_negative()
    threads: int = _ruled(lambda v: 1 <= v <= MAX_THREADS, f"an integer from 1 to {MAX_THREADS}")
    device: str = one_of(DEVICES)
    processes: int = positive()  # data-parallel processes of the train stage (distributed.py)


@dataclass(frozen=True)
class EvaluateParams:
    threshold: float = fraction(low_open=True, high_open=True)


@dataclass(frozen=True)
class PlotParams:
    n_per_class: int = positive()
    seed: int = non_negative()


@dataclass(frozen=True)
class LocalizationParams:
    tolerance: int = non_negative()
    heatmap_series: int = positive()


@dataclass(frozen=True)
class FaithfulnessParams:
    """The tests of the explanations (attention_ts/explain/faithfulness.py), on test series."""

    methods: Names = subset_of(EXPLANATION_METHODS)  # explanation methods to test
    n_series: int = positive()  # test series drawn for the curves and the randomization
    steps: int = positive()  # deletion/insertion curves at k = 0, 1/steps, ..., 1 of the points
    policies: Names = subset_of(REMOVAL_POLICIES)  # what replaces a removed point
    top_share: float = fraction(low_open=True)  # contiguity: runs among this share of top points
    ig_steps: int = positive()  # Integrated Gradients: points on the path from the baseline
    occlusion_window: int = positive()  # occlusion: points hidden at a time
    seed: int = non_negative()  # draws the series, the random order and the re-initialized layers


@dataclass(frozen=True)
class BenchmarkParams:
    """The archive benchmark (benchmark/dvc.yaml): which datasets, models and resamples."""

    datasets: Names  # classification datasets aeon ships (readers.archive_datasets)
    models: Names  # entries of `compare`, trained with their settings there
    resamples: Ids  # 0: the official split; r > 0: aeon's stratified resample r of train + test
    val: float = fraction(low_open=True, high_open=True)  # of each train split, to validate on
    seed: int = non_negative()  # seeds the validation split
    explain: Names  # models whose attention and saliency on resample 0 are drawn
    plot_series: int = positive()  # test series per class in each of those pictures
    model: dict  # changes to model.* on archive data, for every model, after compare.<model>

    def check(self, key: str) -> None:
        if not self.datasets:
            raise ParamsError(f"{key}.datasets = [] is invalid; allowed: one or more datasets")
        if len(self.models) < 2:
            raise ParamsError(
                f"{key}.models = {self.models} is invalid; allowed: two or more models to compare"
            )
        if 0 not in self.resamples:
            raise ParamsError(
                f"{key}.resamples = {self.resamples} lacks 0; allowed: a list with 0 (the "
                "official split, on which the attention pictures are drawn), e.g. [0, 1, 2]"
            )
        applicable = [name for name in MODEL_NAMES if name not in SYNTHETIC_ONLY]
        for name in self.models:  # each needs a compare entry too: the fit stage says so
            if name not in applicable:
                raise ParamsError(
                    f"{key}.models: {name!r} is not a model for archive data; allowed: "
                    + ", ".join(applicable)
                )
        drawable = [name for name in ATTENTION_MODELS if name in self.models]
        for name in self.explain:
            if name not in drawable:
                raise ParamsError(
                    f"{key}.explain: {name!r} is not an attention model of {key}.models; "
                    f"allowed: {', '.join(drawable) or f'[] ({key}.models has no attention model)'}"
                )
        shipped = archive_datasets()
        for name in self.datasets:
            if name not in shipped:
                close = difflib.get_close_matches(name, shipped, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ParamsError(
                    f"{key}.datasets: {name!r} is not a classification dataset aeon ships{hint}; "
                    f"allowed: {', '.join(shipped)}"
                )


@dataclass(frozen=True)
class Params:
    dataset: DatasetParams
    generate: GenerateParams
    split: SplitParams
    model: ModelParams
    train: TrainParams
    evaluate: EvaluateParams
    plot: PlotParams
    localization: LocalizationParams
    faithfulness: FaithfulnessParams
    n_seeds: int = positive()  # training seeds of the documented runs (attention_ts/cli/seeds.py)
    compare: dict  # model name -> its changes to model.* and train.*; see compare_config
    benchmark: BenchmarkParams

    def check(self, key: str) -> None:
        if self.train.processes > 1 and self.model.name in ONE_PROCESS_MODELS:
            raise ParamsError(
                f"train.processes = {self.train.processes} with model.name = {self.model.name}, "
                "whose features are fitted once, in one process; allowed: train.processes = 1 "
                f"for {' and '.join(ONE_PROCESS_MODELS)}"
            )
        if self.dataset.source == "generate":  # a file's series are checked when it is read
            check_model_fits(self.model, "model", self.generate.n_points)
            generate = self.generate
            origin = (
                f"generate.n_series = {generate.n_series} and generate.anomaly_fraction = "
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
                f"compare = {_describe(self.compare)} is invalid; allowed: a mapping of model "
                f"names ({', '.join(MODEL_NAMES)}) to their changes, at least one"
            )
        for name in self.compare:
            self.compare_config(name)
        _changed(self.model, self.benchmark.model, "benchmark.model", self.model.name)

    def compare_config(self, name: str) -> tuple[ModelParams, TrainParams]:
        """model.* and train.* of `name` in the comparison: the shared ones, changed by its entry.

        `compare: {cnn: {train: {lr: 0.002}}}` trains the cnn like every other
        model except for its learning rate; each entry is checked like the
        sections it changes.
        """
        key = f"compare.{name}"
        if name not in MODEL_NAMES:
            raise ParamsError(f"{key} is not a known model; allowed: {', '.join(MODEL_NAMES)}")
        changes = self.compare[name] or {}
        if not isinstance(changes, dict) or not set(changes) <= {"model", "train"}:
            raise ParamsError(
                f"{key} = {_describe(changes)} is invalid; allowed: {{}} or a mapping with "
                "model and/or train keys, e.g. {train: {lr: 0.002}}"
            )
        model = _changed(self.model, changes.get("model"), f"{key}.model", name)
        train = _changed(self.train, changes.get("train"), f"{key}.train", name)
        if self.dataset.source == "generate":
            check_model_fits(model, f"{key}.model", self.generate.n_points)
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
    stride = max(1, n_points // AUTO_STEPS)
    if model.name == "local_attention":  # its windows need the front end's conv (see below)
        stride = max(stride, min(LOCAL_MIN_STRIDE, n_points // 8))
    return dataclasses.replace(model, downsample=stride)


def check_model_fits(model: ModelParams, key: str, n_points: int) -> None:
    """Settings that are valid alone but not for series of `n_points` points."""
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
) -> None:
    """Every split must hold every class, or training and the metrics are meaningless.

    `counts` maps each class name to its series count; `origin` says where
    they come from, for the message. With `test_file` the test set is an
    official file, and train and val share train + val (`split.official`).
    """
    fractions = split.official() if test_file else split.fractions()
    for kind, count in counts.items():
        for name, size in zip(("train", "val", "test"), split_counts(count, fractions)):
            if size == 0:
                raise ParamsError(
                    f"split.{name} = {getattr(split, name)} gets no series of class {kind!r} "
                    f"with {origin}; allowed: sizes that put every class in every split"
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
            f"{key} = {_describe(change)} is invalid; allowed: a mapping of {section}.* keys to "
            "new values"
        )
    if section == "model":
        if "name" in change:
            raise ParamsError(
                f"{key}.name cannot be set: these are the settings of {name}; allowed: the "
                "other model.* keys"
            )
        change = {**change, "name": name}
    return build(type(shared), {**dataclasses.asdict(shared), **change}, key)


def _describe(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _check_type(key: str, value: Any, kind: type) -> Any:
    """Return `value` as `kind`, or raise: bools are not numbers, floats are not ints."""
    if kind is bool:
        ok = isinstance(value, bool)
        allowed = "true or false"
    elif kind is Labels:
        ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        allowed = "a list of labels as written in the data file ([] = every label of the file)"
    elif kind is Stride:
        ok = value == "auto" or (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT
        )
        allowed = (
            f"an integer >= 1 (1 = no conv front end, the original model), or auto (a stride "
            f"that leaves about {AUTO_STEPS} steps)"
        )
    elif kind is Names:
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        ok = ok and len(value) == len(set(value))
        allowed = "a list of distinct names"
    elif kind is Ids:
        ok = isinstance(value, list) and 0 < len(value) == len(set(value))
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ok = ok and all(0 <= v <= MAX_INT for v in value)
        allowed = "a non-empty list of distinct integers >= 0"
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT
        allowed = f"an integer (at most {MAX_INT} in size)"
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok and abs(value) <= sys.float_info.max  # False for NaN, inf and too large integers
        allowed = "a finite number"
    else:
        ok = isinstance(value, kind)
        allowed = "a mapping of keys to values" if kind is dict else f"a {kind.__name__}"
    if not ok:
        raise ParamsError(f"{key} = {_describe(value)} is invalid; allowed: {allowed}")
    if kind is Labels:
        return [v.strip() for v in value]
    return float(value) if kind is float else value


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def build(cls: type[T], raw: Any, key: str = "") -> T:
    """Validate the mapping `raw` against dataclass `cls`; `key` names it in messages."""
    what = key or "params.yaml"
    if not isinstance(raw, dict):
        raise ParamsError(f"{what} = {_describe(raw)} is invalid; allowed: a mapping of keys")
    names = [f.name for f in dataclasses.fields(cls)]
    for name in raw:
        if name not in names:
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f" (did you mean {_join(key, close[0])}?)" if close else ""
            shown = name if isinstance(name, str) and name.isprintable() else repr(name)
            raise ParamsError(
                f"{_join(key, shown)} is not a known parameter{hint}; "
                f"allowed keys in {what}: {', '.join(names)}"
            )
    hints = get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        full_key = _join(key, f.name)
        if f.name not in raw:
            raise ParamsError(f"{full_key} is missing; {what} needs: {', '.join(names)}")
        kind = hints[f.name]
        rule: Rule | None = f.metadata.get("rule")
        if dataclasses.is_dataclass(kind):
            value = build(kind, raw[f.name], full_key)
            parts = {"min": value.min, "max": value.max} if isinstance(value, Range) else {}
        else:
            value = _check_type(full_key, raw[f.name], kind)
            parts = {"": value}
        for part, part_value in parts.items():
            if rule and not rule.check(part_value):
                shown = f"{full_key}.{part}" if part else full_key
                raise ParamsError(
                    f"{shown} = {_describe(part_value)} is invalid; allowed: {rule.allowed}"
                )
        values[f.name] = value
    result = cls(**values)
    check = getattr(result, "check", None)
    if check is not None:
        check(key)
    return result


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
    exactly as written (`no` -> 'no', `1.0` -> '1.0'). Raises
    ParamsError, in one line, when the file is missing, not UTF-8 or not
    valid YAML (a duplicated key included, as DVC refuses it too).
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
    if isinstance(dataset, dict):
        labels = {key: written["dataset"][key] for key in LABEL_KEYS if key in dataset}
        raw = {**raw, "dataset": {**dataset, **labels}}
    return raw


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate the params file; raise ParamsError naming the first bad key."""
    return build(Params, read_params_file(path))
