"""A classifier that learns from the gold what the rules propose and what they miss.

A scikit-learn pipeline (``DictVectorizer`` + ``LogisticRegression``) gives, for a candidate (a
word, or a trigger-entity pair), the probability of each class and of ``outside`` (no event, no
role). The decision keeps the rules' say: a candidate the rules proposed (its features hold a
``rule=`` other than ``outside``) is kept when the probability that it is something reaches one
threshold, a candidate they did not propose when it reaches another; it then takes the most
probable class. Both thresholds are learned on the training rows themselves, by cross-validated
predictions (``FOLDS``-fold), as the pair with the best micro F1: where the rules are good the
first threshold is low and the learned layer is the rules plus what the data adds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from annotate.pipeline.features import Features

#: Regularisation (inverse strength), and the weight of the ``outside`` class, chosen once.
C = 1.0
OUTSIDE_WEIGHT = 0.5
FOLDS = 3
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


@dataclass
class Classifier:
    """A fitted pipeline and its two thresholds (see the module doc)."""

    model: Pipeline
    outside: str
    rule_threshold: float
    new_threshold: float

    @property
    def classes_(self) -> list[str]:
        return list(self.model.classes_)

    def predict_proba(self, rows: list[Features]) -> Any:
        """Class probabilities, one row per input row, in the order of ``classes_``."""
        return self.model.predict_proba(rows)

    def decide(
        self, row: Features, probabilities: Any, allowed: Sequence[int] | None = None
    ) -> tuple[str, float]:
        """The class of one candidate and its probability (``outside`` when below threshold)."""
        classes = self.classes_
        indices = range(len(classes)) if allowed is None else allowed
        candidates = [k for k in indices if classes[k] != self.outside]
        if not candidates:
            return self.outside, 0.0
        mass = float(sum(probabilities[k] for k in candidates))
        threshold = self.rule_threshold if _proposed(row, self.outside) else self.new_threshold
        best = max(candidates, key=lambda k: probabilities[k])
        return (classes[best] if mass >= threshold else self.outside), mass


def _proposed(row: Features, outside: str) -> bool:
    return f"rule={outside}" not in row


def fit(rows: list[Features], labels: list[str], outside: str) -> Classifier | None:
    """A fitted classifier, or None when the labels give too little to learn from."""
    classes = sorted(set(labels))
    if len(classes) < 2 or outside not in classes or sum(label != outside for label in labels) < FOLDS:
        return None
    rule_threshold, new_threshold = _thresholds(rows, labels, outside)
    model = _pipeline(classes, outside)
    model.fit(rows, labels)
    return Classifier(model, outside, rule_threshold, new_threshold)


def _pipeline(classes: list[str], outside: str) -> Pipeline:
    weights = {label: (OUTSIDE_WEIGHT if label == outside else 1.0) for label in classes}
    classify = LogisticRegression(C=C, max_iter=2000, class_weight=weights)
    return Pipeline([("features", DictVectorizer()), ("classify", classify)])


def _thresholds(rows: list[Features], labels: list[str], outside: str) -> tuple[float, float]:
    truth = np.array(labels, dtype=object)
    best_label = np.empty(len(labels), dtype=object)
    mass = np.zeros(len(labels))
    strata = [label == outside for label in labels]
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(rows, strata):
        model = _pipeline(sorted(set(truth[train])), outside)
        model.fit([rows[i] for i in train], truth[train])
        classes = np.array(model.classes_, dtype=object)
        probabilities = model.predict_proba([rows[i] for i in test])
        inside = classes != outside
        mass[test] = probabilities[:, inside].sum(axis=1)
        best_label[test] = classes[inside][probabilities[:, inside].argmax(axis=1)]
    proposed = np.array([_proposed(row, outside) for row in rows])
    gold = int((truth != outside).sum())
    best, best_f1 = (0.5, 0.5), -1.0
    for rule_threshold, new_threshold in itertools.product(THRESHOLDS, THRESHOLDS):
        chosen = np.where(proposed, mass >= rule_threshold, mass >= new_threshold)
        correct = int((chosen & (best_label == truth)).sum())
        precision, recall = correct / max(1, int(chosen.sum())), correct / max(1, gold)
        f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
        if f1 > best_f1:
            best, best_f1 = (rule_threshold, new_threshold), f1
    return best
