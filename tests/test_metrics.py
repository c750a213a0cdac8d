"""attention_ts.training.metrics: scikit-learn's values, and the bits the hand-written module had.

BEFORE_SKLEARN holds what the hand-written numpy module (commit 8532275)
returned for the cases below, as exact float reprs: the binary metrics must
keep those bits, so recorded numbers (tests/data/golden.json's test_f1,
metrics/evaluate.json) do not move with the move to scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk
from sklearn.preprocessing import label_binarize

from attention_ts.training.metrics import (
    average_precision,
    best_f1_threshold,
    binary_f1,
    classification_metrics,
    curves,
    predicted_classes,
    validation_f1,
)

pytestmark = pytest.mark.filterwarnings("error")  # no UndefinedMetricWarning slips through

BINARY = ("normal", "anomalous")
THREE = ("sine", "square", "saw")


def _binary(scores) -> np.ndarray:
    """Class-1 probabilities (n,) -> (n, 2) as models.predict gives: column 0 = 1 - column 1."""
    scores = np.asarray(scores)
    return np.stack([1 - scores, scores], axis=1)


def _arithmetic(n: int, a: int, m: int, shift: int, offset: int = 0):
    """Labels and scores from integer arithmetic: the same bits on every platform and numpy."""
    i = np.arange(n, dtype=np.int64) + offset
    labels = ((i * 7 + 3) % 13 < 6).astype(np.int64)
    scores = ((i * a + 17) % m + shift * labels) / (m + shift)
    return labels, scores


HAND_MADE = {
    "scores_below_threshold": ([0, 0, 1, 1], [0.1, 0.3, 0.2, 0.4]),
    "perfect": ([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]),
    "worst": ([0, 0, 0, 1, 1, 1], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]),
    "ties": ([0, 1, 0, 1, 1, 0, 1], [0.5, 0.5, 0.2, 0.8, 0.2, 0.8, 0.5]),
    "nothing_predicted": ([0, 0, 1], [0.1, 0.2, 0.3]),
    "best_f1_example": ([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.6, 0.7]),
    "thirds": ([1, 0, 1, 1, 0, 0, 1, 0, 1], [0.9, 0.6, 0.55, 0.35, 0.4, 0.1, 0.7, 0.52, 0.3]),
}
ARITHMETIC = {  # many ties; (nearly) distinct scores; a small odd-sized set
    "arith_ties": (500, 811, 101, 30),
    "arith_distinct": (500, 7919, 10007, 3000),
    "arith_small": (37, 53, 29, 9, 5),
}


def _before_case(name: str):
    """The inputs of BEFORE_SKLEARN[name]; a "_f32" name has float32 scores, as predict gives."""
    if name in HAND_MADE:
        labels, scores = HAND_MADE[name]
        return np.array(labels), np.array(scores)
    base, f32, _ = name.partition("_f32")
    labels, scores = _arithmetic(*ARITHMETIC[base])
    return labels, scores.astype(np.float32) if f32 else scores


# name: ((best_f1_threshold's threshold, F1),
#        {threshold: (accuracy, precision, recall, f1, roc_auc, pr_auc, (tn, fp, fn, tp))})
BEFORE_SKLEARN = {
    "scores_below_threshold": (
        (0.15000000000000002, 0.8),
        {
            0.5: (0.5, 0.0, 0.0, 0.0, 0.75, 0.8333333333333333, (2, 0, 2, 0)),
            0.15000000000000002: (
                0.75,
                0.6666666666666666,
                1.0,
                0.8,
                0.75,
                0.8333333333333333,
                (1, 1, 0, 2),
            ),
        },
    ),
    "perfect": ((0.5, 1.0), {0.5: (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, (3, 0, 0, 3))}),
    "worst": (
        (0.05, 0.6666666666666666),
        {
            0.5: (0.0, 0.0, 0.0, 0.0, 0.0, 0.38333333333333336, (0, 3, 3, 0)),
            0.05: (0.5, 0.5, 1.0, 0.6666666666666666, 0.0, 0.38333333333333336, (0, 3, 0, 3)),
        },
    ),
    "ties": (
        (0.1, 0.7272727272727273),
        {
            0.5: (
                0.5714285714285714,
                0.6,
                0.75,
                0.6666666666666665,
                0.5,
                0.5678571428571428,
                (1, 2, 1, 3),
            ),
            0.1: (
                0.5714285714285714,
                0.5714285714285714,
                1.0,
                0.7272727272727273,
                0.5,
                0.5678571428571428,
                (0, 3, 0, 4),
            ),
        },
    ),
    "nothing_predicted": (
        (0.25, 1.0),
        {
            0.5: (0.6666666666666666, 0.0, 0.0, 0.0, 1.0, 1.0, (2, 0, 1, 0)),
            0.25: (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, (2, 0, 0, 1)),
        },
    ),
    "best_f1_example": (
        (0.25, 0.8571428571428571),
        {
            0.5: (
                0.8333333333333334,
                1.0,
                0.6666666666666666,
                0.8,
                0.888888888888889,
                0.9166666666666666,
                (3, 0, 1, 2),
            ),
            0.25: (
                0.8333333333333334,
                0.75,
                1.0,
                0.8571428571428571,
                0.888888888888889,
                0.9166666666666666,
                (2, 1, 0, 3),
            ),
        },
    ),
    "thirds": (
        (0.2, 0.7692307692307693),
        {
            0.5: (0.5555555555555556, 0.6, 0.6, 0.6, 0.65, 0.7892857142857144, (2, 2, 2, 3)),
            0.2: (
                0.6666666666666666,
                0.625,
                1.0,
                0.7692307692307693,
                0.65,
                0.7892857142857144,
                (1, 3, 0, 5),
            ),
        },
    ),
    "arith_ties": (
        (0.22519083969465647, 0.7075038284839203),
        {
            0.5: (
                0.648,
                0.6122448979591837,
                0.6493506493506493,
                0.6302521008403361,
                0.7527720111363234,
                0.7538656666992498,
                (174, 95, 81, 150),
            ),
            0.22519083969465647: (
                0.618,
                0.54739336492891,
                1.0,
                0.7075038284839205,
                0.7527720111363234,
                0.7538656666992498,
                (78, 191, 0, 231),
            ),
        },
    ),
    "arith_distinct": (
        (0.23164449911586069, 0.7085889570552147),
        {
            0.5: (
                0.614,
                0.5778688524590164,
                0.6103896103896104,
                0.5936842105263158,
                0.72402195078775,
                0.7297666355127633,
                (166, 103, 90, 141),
            ),
            0.23164449911586069: (
                0.62,
                0.5486935866983373,
                1.0,
                0.7085889570552147,
                0.72402195078775,
                0.7297666355127633,
                (79, 190, 0, 231),
            ),
        },
    ),
    "arith_small": (
        (0.22368421052631576, 0.7083333333333334),
        {
            0.5: (
                0.6756756756756757,
                0.631578947368421,
                0.7058823529411765,
                0.6666666666666667,
                0.7352941176470589,
                0.7364471923521021,
                (13, 7, 5, 12),
            ),
            0.22368421052631576: (
                0.6216216216216216,
                0.5483870967741935,
                1.0,
                0.7083333333333333,
                0.7352941176470589,
                0.7364471923521021,
                (6, 14, 0, 17),
            ),
        },
    ),
    "arith_ties_f32": (
        (0.22519084066152573, 0.7075038284839203),
        {
            0.5: (
                0.648,
                0.6122448979591837,
                0.6493506493506493,
                0.6302521008403361,
                0.7527720111363234,
                0.7538656666992498,
                (174, 95, 81, 150),
            ),
            0.22519084066152573: (
                0.618,
                0.54739336492891,
                1.0,
                0.7075038284839205,
                0.7527720111363234,
                0.7538656666992498,
                (78, 191, 0, 231),
            ),
        },
    ),
    "arith_distinct_f32": (
        (0.23164449632167816, 0.7085889570552147),
        {
            0.5: (
                0.614,
                0.5778688524590164,
                0.6103896103896104,
                0.5936842105263158,
                0.72402195078775,
                0.7297666355127633,
                (166, 103, 90, 141),
            ),
            0.23164449632167816: (
                0.62,
                0.5486935866983373,
                1.0,
                0.7085889570552147,
                0.72402195078775,
                0.7297666355127633,
                (79, 190, 0, 231),
            ),
        },
    ),
    "arith_small_f32": (
        (0.22368421405553818, 0.7083333333333334),
        {
            0.5: (
                0.6756756756756757,
                0.631578947368421,
                0.7058823529411765,
                0.6666666666666667,
                0.7352941176470589,
                0.7364471923521021,
                (13, 7, 5, 12),
            ),
            0.22368421405553818: (
                0.6216216216216216,
                0.5483870967741935,
                1.0,
                0.7083333333333333,
                0.7352941176470589,
                0.7364471923521021,
                (6, 14, 0, 17),
            ),
        },
    ),
}
LOCALIZATION_AP = [
    0.31875000000000003,
    0.31875000000000003,
    0.24591718426501036,
    0.24591718426501036,
    0.2626860176860177,
    0.2626860176860177,
]


# average_precision of per-point weights (a down-sampling model repeats each step's weight
# on 4 points: ties) against a segment mask, float64 then float32: localization.segment_auprc
def _localization_cases():
    for k, steps in enumerate((10, 25, 50)):
        weights = ((np.arange(steps) * (31 + k)) % 17) + 1.0
        weights = np.repeat(weights / weights.sum(), 4)
        mask = np.zeros(weights.size, bool)
        mask[7 + k : 7 + k + steps] = True
        yield mask, weights
        yield mask, weights.astype(np.float32)


@pytest.mark.parametrize("name", list(BEFORE_SKLEARN))
def test_binary_values_keep_the_bits_of_the_hand_written_module(name):
    labels, scores = _before_case(name)
    best, at_threshold = BEFORE_SKLEARN[name]
    assert best_f1_threshold(labels, scores) == best
    for threshold, (*values, counts) in at_threshold.items():
        got = classification_metrics(labels, _binary(scores), BINARY, threshold)
        keys = ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc")
        assert [got[key] for key in keys] == values  # exact, not approx
        assert got["confusion"] == dict(zip(("tn", "fp", "fn", "tp"), counts))
        assert got["threshold"] == threshold
        assert binary_f1(labels, scores >= threshold) == got["f1"]


def test_localization_average_precision_keeps_its_bits():
    got = [average_precision(mask, weights) for mask, weights in _localization_cases()]
    assert got == LOCALIZATION_AP


def test_why_three_binary_values_are_composed_rather_than_called():
    """sklearn's one-call functions round differently in the last bits on these very cases."""
    labels, scores = _before_case("ties")
    assert BEFORE_SKLEARN["ties"][1][0.5][3] == 0.6666666666666665  # 2PR/(P+R), kept
    assert sk.f1_score(labels, scores >= 0.5) == 0.6666666666666666  # 2tp/(2tp+fp+fn)
    labels, scores = _before_case("best_f1_example")
    assert average_precision(labels, scores) == 0.9166666666666666  # summed by rising recall
    assert sk.average_precision_score(labels, scores) == 0.9166666666666665
    labels, scores = _before_case("arith_ties")
    assert classification_metrics(labels, _binary(scores), BINARY, 0.5)["pr_auc"] == (
        0.7538656666992498
    )
    assert sk.average_precision_score(labels, scores) == 0.75386566669925


# Hand-made cases, checked against sklearn: labels, class-1 probabilities, threshold
BINARY_CASES = {
    "ties": ([0, 1, 0, 1, 1, 0, 1, 0], [0.5, 0.5, 0.2, 0.8, 0.2, 0.8, 0.5, 0.2], 0.5),
    "perfect": ([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], 0.5),
    "worst": ([0, 0, 0, 1, 1, 1], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], 0.5),
    "class 1 never predicted": ([0, 0, 1, 1], [0.1, 0.3, 0.2, 0.4], 0.5),
    "class 0 never predicted": ([0, 0, 1, 1], [0.6, 0.7, 0.9, 0.8], 0.5),
}
# labels, probabilities (n, 3): rows sum to 1
THREE_CASES = {
    "mixed, with tied scores": (
        [0, 1, 2, 0, 1, 2, 0, 1],
        [
            [0.6, 0.3, 0.1],
            [0.2, 0.5, 0.3],
            [0.2, 0.3, 0.5],
            [0.3, 0.5, 0.2],
            [0.4, 0.4, 0.2],  # a tie at the arg-max: the first class wins
            [0.5, 0.2, 0.3],
            [0.2, 0.2, 0.6],
            [0.3, 0.5, 0.2],
        ],
    ),
    "perfect": (
        [0, 1, 2, 2, 1, 0],
        [
            [0.8, 0.1, 0.1],
            [0.1, 0.7, 0.2],
            [0.1, 0.1, 0.8],
            [0.3, 0.1, 0.6],
            [0.2, 0.6, 0.2],
            [0.5, 0.3, 0.2],
        ],
    ),
    "worst": (
        [0, 1, 2, 0, 1, 2],
        [
            [0.1, 0.6, 0.3],
            [0.3, 0.1, 0.6],
            [0.6, 0.3, 0.1],
            [0.1, 0.3, 0.6],
            [0.6, 0.1, 0.3],
            [0.3, 0.6, 0.1],
        ],
    ),
    "class 2 never predicted": (
        [0, 1, 2, 2, 0, 1],
        [
            [0.5, 0.3, 0.2],
            [0.3, 0.4, 0.3],
            [0.4, 0.25, 0.35],
            [0.2, 0.45, 0.35],
            [0.6, 0.1, 0.3],
            [0.1, 0.6, 0.3],
        ],
    ),
}


def _check_against_sklearn(labels, probabilities, classes, threshold, predicted):
    """Every key of classification_metrics against sklearn's function for it."""
    everything = list(range(len(classes)))
    got = classification_metrics(labels, probabilities, classes, threshold)
    assert got["accuracy"] == sk.accuracy_score(labels, predicted)
    assert got["balanced_accuracy"] == sk.balanced_accuracy_score(labels, predicted)
    assert got["macro_f1"] == sk.f1_score(
        labels, predicted, labels=everything, average="macro", zero_division=0
    )
    assert got["log_loss"] == sk.log_loss(labels, probabilities, labels=everything)
    assert got["n_series"] == len(labels)
    precision, recall, f1, support = sk.precision_recall_fscore_support(
        labels, predicted, labels=everything, zero_division=0
    )
    assert got["per_class"] == {
        name: {"precision": precision[c], "recall": recall[c], "f1": f1[c], "support": support[c]}
        for c, name in enumerate(classes)
    }
    counts = sk.confusion_matrix(labels, predicted, labels=everything)
    assert got["confusion_matrix"] == {"classes": list(classes), "counts": counts.tolist()}
    for value in got.values():  # plain JSON values, no numpy scalars
        assert type(value) in (float, int, dict)
    return got


@pytest.mark.parametrize("name", list(BINARY_CASES))
def test_binary_metrics_match_sklearn(name):
    labels, scores, threshold = map(np.asarray, BINARY_CASES[name])
    predicted = scores >= threshold
    got = _check_against_sklearn(labels, _binary(scores), BINARY, threshold, predicted)
    assert got["precision"] == sk.precision_score(labels, predicted, zero_division=0)
    assert got["recall"] == sk.recall_score(labels, predicted, zero_division=0)
    # composed in the old order of operations (see the module docstring): equal up to rounding
    assert got["f1"] == pytest.approx(sk.f1_score(labels, predicted, zero_division=0), abs=1e-15)
    assert got["f1"] == pytest.approx(got["per_class"]["anomalous"]["f1"], abs=1e-15)
    assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-15)
    assert got["pr_auc"] == pytest.approx(sk.average_precision_score(labels, scores), abs=1e-15)
    tn, fp, fn, tp = sk.confusion_matrix(labels, predicted).ravel().tolist()
    assert got["confusion"] == {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
    assert got["threshold"] == threshold
    assert set(got) == {
        *("accuracy", "balanced_accuracy", "macro_f1", "roc_auc", "log_loss", "n_series"),
        *("per_class", "confusion_matrix"),
        *("precision", "recall", "f1", "pr_auc", "threshold", "confusion"),
    }


@pytest.mark.parametrize("name", list(THREE_CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_three_class_metrics_match_sklearn(name, dtype):
    labels, probabilities = np.asarray(THREE_CASES[name][0]), np.asarray(THREE_CASES[name][1])
    probabilities = probabilities.astype(dtype)
    predicted = probabilities.argmax(axis=1)
    got = _check_against_sklearn(labels, probabilities, THREE, 0.5, predicted)
    assert got["roc_auc"] == sk.roc_auc_score(
        labels, probabilities, multi_class="ovr", average="macro"
    )
    assert set(got) == {
        *("accuracy", "balanced_accuracy", "macro_f1", "roc_auc", "log_loss", "n_series"),
        *("per_class", "confusion_matrix"),
    }


def test_the_hand_made_cases_say_what_their_names_say():
    perfect = classification_metrics(*map(np.asarray, THREE_CASES["perfect"]), THREE, 0.5)
    assert perfect["accuracy"] == perfect["macro_f1"] == perfect["roc_auc"] == 1.0
    assert perfect["confusion_matrix"]["counts"] == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]
    worst = classification_metrics(*map(np.asarray, THREE_CASES["worst"]), THREE, 0.5)
    assert worst["accuracy"] == worst["macro_f1"] == worst["roc_auc"] == 0.0
    never = classification_metrics(
        *map(np.asarray, THREE_CASES["class 2 never predicted"]), THREE, 0.5
    )
    assert never["per_class"]["saw"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert [row[2] for row in never["confusion_matrix"]["counts"]] == [0, 0, 0]
    labels, scores, _ = map(np.asarray, BINARY_CASES["worst"])
    worst = classification_metrics(labels, _binary(scores), BINARY, 0.5)
    assert worst["accuracy"] == worst["f1"] == worst["roc_auc"] == 0.0
    assert worst["confusion"] == {"tn": 0, "fp": 3, "fn": 3, "tp": 0}
    labels, scores, _ = map(np.asarray, BINARY_CASES["perfect"])
    perfect = classification_metrics(labels, _binary(scores), BINARY, 0.5)
    assert perfect["f1"] == perfect["roc_auc"] == perfect["pr_auc"] == perfect["macro_f1"] == 1.0


def test_auc_uses_scores_not_thresholded_labels():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.3, 0.2, 0.4])  # 3 of 4 pairs ordered right, all below 0.5
    got = classification_metrics(labels, _binary(scores), BINARY, threshold=0.5)
    assert got["roc_auc"] == 0.75
    # an AUC of the 0/1 predictions sees only "all normal": chance level
    assert sk.roc_auc_score(labels, scores >= 0.5) == 0.5


def test_undefined_ratios_are_zero_not_nan():
    labels, scores = np.array([0, 0, 1]), np.array([0.1, 0.2, 0.3])
    got = classification_metrics(labels, _binary(scores), BINARY, threshold=0.9)
    assert got["precision"] == 0.0 and got["recall"] == 0.0 and got["f1"] == 0.0
    assert got["per_class"]["anomalous"]["precision"] == 0.0


@pytest.fixture(params=[0, 1, 2])
def case(request):
    rng = np.random.default_rng(request.param)
    labels = rng.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + rng.normal(0.35, 0.25, 500), 0, 1)
    scores = np.round(scores, 2)  # many ties, the hard case for curve code
    return labels, scores


def test_random_binary_cases_match_sklearn(case):
    labels, scores = case
    predicted = scores >= 0.5
    got = _check_against_sklearn(labels, _binary(scores), BINARY, 0.5, predicted)
    assert got["f1"] == pytest.approx(sk.f1_score(labels, predicted), abs=1e-15)
    assert got["roc_auc"] == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-15)
    assert got["pr_auc"] == pytest.approx(sk.average_precision_score(labels, scores), abs=1e-15)


def test_bad_inputs_are_refused():
    labels, probabilities = np.array([0, 1, 2]), np.eye(3)
    with pytest.raises(ValueError, match="no series of class 'saw'"):
        classification_metrics(np.array([0, 1, 1]), probabilities, THREE, 0.5)
    with pytest.raises(ValueError, match="2 class names for 3 probability columns"):
        classification_metrics(labels, probabilities, BINARY, 0.5)
    with pytest.raises(ValueError, match=r"must be \(n, K\)"):
        classification_metrics(labels, np.array([0.1, 0.5, 0.9]), BINARY, 0.5)
    with pytest.raises(ValueError, match="label 3 is not a class index 0..2"):
        classification_metrics(np.array([0, 1, 3]), probabilities, THREE, 0.5)
    with pytest.raises(ValueError, match=r"labels must be \(3,\)"):
        curves(np.array([0, 1]), probabilities, THREE)


def test_predictions_threshold_binary_data_and_take_the_argmax_otherwise():
    binary = _binary(np.array([0.2, 0.5, 0.7]))
    assert predicted_classes(binary, 0.5).tolist() == [0, 1, 1]
    assert predicted_classes(binary, 0.8).tolist() == [0, 0, 0]
    three = np.array([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [0.1, 0.1, 0.8]])
    assert predicted_classes(three, 0.99).tolist() == [1, 0, 2]


def test_float32_probabilities_meet_the_threshold_in_float32_as_before():
    p = np.float32(0.3)  # 0.30000001192...
    threshold = 0.3000000120  # above p in float64, rounds to p in float32
    assert float(p) < threshold
    probabilities = _binary(np.array([p], np.float32))
    assert predicted_classes(probabilities, threshold).tolist() == [1]


def test_validation_f1():
    labels, scores = _before_case("arith_ties")
    assert validation_f1(labels, _binary(scores)) == BEFORE_SKLEARN["arith_ties"][1][0.5][3]
    labels, probabilities = map(np.asarray, THREE_CASES["mixed, with tied scores"])
    assert validation_f1(labels, probabilities) == sk.f1_score(
        labels, probabilities.argmax(axis=1), average="macro"
    )


def test_best_f1_threshold_on_a_hand_made_case():
    labels = np.array([0, 0, 1, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7])
    # predicting >= 0.3 gives tp 3, fp 1: F1 6/7, better than >= 0.6 (tp 2: F1 4/5)
    threshold, f1 = best_f1_threshold(labels, scores)
    assert f1 == pytest.approx(6 / 7)
    assert threshold == pytest.approx((0.3 + 0.2) / 2)
    got = classification_metrics(labels, _binary(scores), BINARY, threshold)
    assert got["f1"] == pytest.approx(6 / 7)


def test_best_f1_threshold_agrees_with_a_brute_force_search(case):
    labels, scores = case
    threshold, f1 = best_f1_threshold(labels, scores)
    brute = max(sk.f1_score(labels, scores >= t) for t in np.unique(scores))
    assert f1 == pytest.approx(brute)
    assert sk.f1_score(labels, scores >= threshold) == pytest.approx(brute)


def test_perfect_separation_puts_the_threshold_in_the_gap():
    threshold, f1 = best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.7, 0.9]))
    assert (threshold, f1) == (pytest.approx(0.5), 1.0)


def test_best_f1_ties_go_to_the_highest_threshold():
    # >= 0.8: tp 1, fp 0 (F1 2/3); >= 0.2: tp 2, fp 2 (F1 2/3 too); the higher one wins
    threshold, f1 = best_f1_threshold(np.array([1, 0, 0, 1]), np.array([0.8, 0.6, 0.4, 0.2]))
    assert (threshold, f1) == (pytest.approx(0.7), pytest.approx(2 / 3))
    # the last interval reaches down to 0: its midpoint is half the lowest score
    threshold, f1 = best_f1_threshold(np.array([1, 1]), np.array([0.6, 0.2]))
    assert (threshold, f1) == (pytest.approx(0.1), 1.0)


def test_best_f1_threshold_without_positives_is_zero_f1():
    threshold, f1 = best_f1_threshold(np.array([0, 0, 0]), np.array([0.8, 0.6, 0.4]))
    assert (threshold, f1) == (pytest.approx(0.7), 0.0)


def _expected_rows(truth, scores):
    fpr, tpr, roc_t = sk.roc_curve(truth, scores, drop_intermediate=True)
    precision, recall, pr_t = sk.precision_recall_curve(truth, scores, drop_intermediate=True)
    roc = [(f, t, min(h, 1.0)) for f, t, h in zip(fpr, tpr, roc_t)]
    pr = [
        (r, p, min(h, 1.0)) for r, p, h in zip(recall[::-1], precision[::-1], [np.inf, *pr_t[::-1]])
    ]
    return roc, pr


def _as_tuples(roc, pr):
    return (
        [(row["fpr"], row["tpr"], row["threshold"]) for row in roc],
        [(row["recall"], row["precision"], row["threshold"]) for row in pr],
    )


def _same_curves(roc, pr, truth, scores) -> None:
    """The rows are sklearn's points, in order, ends kept, and only where the path turns."""
    for rows, expected in zip(_as_tuples(roc, pr), _expected_rows(truth, scores)):
        expected = [tuple(float(v) for v in row) for row in expected]
        assert rows[0] == expected[0] and rows[-1] == expected[-1]
        positions = [expected.index(row) for row in rows]  # each row is one of sklearn's
        assert all(a[:2] != b[:2] for a, b in zip(rows, rows[1:]))  # no point repeated
        assert positions == sorted(positions)
        for a, b, c in zip(rows, rows[1:], rows[2:]):  # no point on the line through its neighbours
            assert (b[0] - a[0]) * (c[1] - b[1]) != (b[1] - a[1]) * (c[0] - b[0])
        dropped = [row for row in expected if row[:2] not in {kept[:2] for kept in rows}]
        for row in dropped:  # every dropped point lies on the kept polyline
            assert any(
                min(a[0], b[0]) <= row[0] <= max(a[0], b[0])
                and min(a[1], b[1]) <= row[1] <= max(a[1], b[1])
                and (b[0] - a[0]) * (row[1] - a[1])
                == pytest.approx((b[1] - a[1]) * (row[0] - a[0]))
                for a, b in zip(rows, rows[1:])
            )


def test_binary_curves_are_sklearns_curves_of_class_1(case):
    labels, scores = case
    roc, pr = curves(labels, _binary(scores), BINARY)
    _same_curves(roc, pr, labels, scores)
    assert roc[0] == {"fpr": 0.0, "tpr": 0.0, "threshold": 1.0}  # +inf written as 1.0
    assert roc[-1]["fpr"] == roc[-1]["tpr"] == 1.0
    assert pr[0] == {"recall": 0.0, "precision": 1.0, "threshold": 1.0}
    assert pr[-1]["recall"] == 1.0
    full_area = classification_metrics(labels, _binary(scores), BINARY, 0.5)["roc_auc"]
    area = np.trapezoid([row["tpr"] for row in roc], [row["fpr"] for row in roc])
    assert area == pytest.approx(full_area, abs=1e-12)  # dropped points leave the area


def test_a_perfect_ranking_draws_few_points():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    roc, pr = curves(np.array([0, 0, 0, 1, 1, 1]), _binary(scores), BINARY)
    assert [(row["fpr"], row["tpr"]) for row in roc] == [(0, 0), (0, 1), (1, 1)]
    assert (pr[0]["recall"], pr[0]["precision"]) == (0, 1)
    assert (pr[-1]["recall"], pr[-1]["precision"]) == (1, 0.5)
    assert all(row["precision"] == 1.0 for row in pr[:-1])


@pytest.mark.parametrize("name", list(THREE_CASES))
def test_multiclass_curves_are_micro_averaged_one_vs_rest(name):
    labels, probabilities = map(np.asarray, THREE_CASES[name])
    roc, pr = curves(labels, probabilities, THREE)
    truth = label_binarize(labels, classes=[0, 1, 2]).ravel()
    _same_curves(roc, pr, truth, probabilities.ravel())
    area = np.trapezoid([row["tpr"] for row in roc], [row["fpr"] for row in roc])
    micro = sk.roc_auc_score(labels, probabilities, multi_class="ovr", average="micro")
    assert area == pytest.approx(micro, abs=1e-12)
    assert all(0.0 <= row["threshold"] <= 1.0 for row in [*roc, *pr])
