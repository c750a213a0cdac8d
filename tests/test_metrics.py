"""Our numpy metrics agree with sklearn, and AUCs come from scores, not 0/1 predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from attention_ts.metrics import (
    average_precision,
    best_f1_threshold,
    classification_metrics,
    precision_recall_curve,
    roc_auc,
    roc_curve,
)


@pytest.fixture(params=[0, 1, 2])
def case(request):
    rng = np.random.default_rng(request.param)
    labels = rng.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + rng.normal(0.35, 0.25, 500), 0, 1)
    scores = np.round(scores, 2)  # many ties, the hard case for curve code
    return labels, scores


def test_threshold_metrics_match_sklearn(case):
    labels, scores = case
    got = classification_metrics(labels, scores, threshold=0.5)
    predicted = scores >= 0.5
    assert got["accuracy"] == pytest.approx(sk.accuracy_score(labels, predicted))
    assert got["precision"] == pytest.approx(sk.precision_score(labels, predicted))
    assert got["recall"] == pytest.approx(sk.recall_score(labels, predicted))
    assert got["f1"] == pytest.approx(sk.f1_score(labels, predicted))
    tn, fp, fn, tp = sk.confusion_matrix(labels, predicted).ravel()
    assert got["confusion"] == {"tn": tn, "fp": fp, "fn": fn, "tp": tp}


def test_aucs_match_sklearn(case):
    labels, scores = case
    assert roc_auc(labels, scores) == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-12)
    assert average_precision(labels, scores) == pytest.approx(
        sk.average_precision_score(labels, scores), abs=1e-12
    )


def test_curves_match_sklearn(case):
    labels, scores = case
    fpr, tpr, thresholds = roc_curve(labels, scores)
    sk_fpr, sk_tpr, _ = sk.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    precision, recall, _ = precision_recall_curve(labels, scores)
    sk_precision, sk_recall, _ = sk.precision_recall_curve(labels, scores)
    np.testing.assert_allclose(precision[1:], sk_precision[::-1][1:])
    np.testing.assert_allclose(recall, sk_recall[::-1])


def test_dropping_intermediate_points_keeps_the_area(case):
    labels, scores = case
    full = roc_curve(labels, scores)
    corners = roc_curve(labels, scores, drop_intermediate=True)
    assert len(corners[0]) < len(full[0])
    assert np.trapezoid(corners[1], corners[0]) == pytest.approx(np.trapezoid(full[1], full[0]))


def test_a_perfect_ranking_draws_as_three_corners():
    labels = np.array([0, 0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=True)
    assert list(zip(fpr, tpr)) == [(0, 0), (0, 1 / 3), (0, 1), (1, 1)]
    precision, recall, _ = precision_recall_curve(labels, scores, drop_intermediate=True)
    assert list(zip(recall, precision)) == [(0, 1), (1 / 3, 1), (1, 1), (1, 0.5)]


def test_auc_uses_scores_not_thresholded_labels():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.3, 0.2, 0.4])  # 3 of 4 pairs ordered right, all below 0.5
    got = classification_metrics(labels, scores, threshold=0.5)
    assert got["roc_auc"] == pytest.approx(0.75)
    assert got["pr_auc"] == pytest.approx(sk.average_precision_score(labels, scores))
    # the original's AUC of the 0/1 predictions sees only "all normal": chance level
    assert sk.roc_auc_score(labels, scores >= 0.5) == 0.5


def test_undefined_ratios_are_zero_not_nan():
    got = classification_metrics(np.array([0, 0, 1]), np.array([0.1, 0.2, 0.3]), threshold=0.9)
    assert got["precision"] == 0.0 and got["recall"] == 0.0 and got["f1"] == 0.0


def test_best_f1_threshold_on_a_hand_made_case():
    labels = np.array([0, 0, 1, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7])
    # predicting >= 0.3 gives tp 3, fp 1: F1 6/7, better than >= 0.6 (tp 2: F1 4/5)
    threshold, f1 = best_f1_threshold(labels, scores)
    assert f1 == pytest.approx(6 / 7)
    assert threshold == pytest.approx((0.3 + 0.2) / 2)
    assert classification_metrics(labels, scores, threshold)["f1"] == pytest.approx(6 / 7)


def test_best_f1_threshold_agrees_with_a_brute_force_search(case):
    labels, scores = case
    threshold, f1 = best_f1_threshold(labels, scores)
    brute = max(sk.f1_score(labels, scores >= t) for t in np.unique(scores))
    assert f1 == pytest.approx(brute)
    assert sk.f1_score(labels, scores >= threshold) == pytest.approx(brute)


def test_perfect_separation_puts_the_threshold_in_the_gap():
    threshold, f1 = best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.7, 0.9]))
    assert (threshold, f1) == (pytest.approx(0.5), 1.0)
