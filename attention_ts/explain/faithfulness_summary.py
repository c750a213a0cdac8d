"""What the metrics and tables keep of a faithfulness report, and the attention targets.

Reads the summary `faithfulness.faithfulness_report` returns (plain JSON
values), without torch, so the comparison's table stage stays light.
"""

from __future__ import annotations

from typing import Any

from attention_ts.config.params import REMOVAL_POLICIES

CURVES = ("deletion", "insertion")


# What an attention explanation that the decision depends on should show on the default data
# (issue 14's targets): (name, comparison, bound)
ATTENTION_TARGETS = (
    ("deletion_ratio", ">=", 3.0),  # its deletion area at least 3x random deletion's
    ("randomization", "<", 0.2),  # rank correlation with a fully re-initialized model's
    ("uniform_f1", "<", 0.9),  # test F1 with uniform attention at inference
)


def compact(summary: dict[str, Any]) -> dict[str, Any]:
    """The numbers the metrics and tables keep of a `faithfulness_report` summary.

    {method: {"randomization", "contiguity", "pointing_game" (None without
    known segments), policy: {deletion_area, deletion_random,
    deletion_ratio, insertion_area, insertion_random, insertion_ratio}}}
    (probability of the predicted class), and "interventions" for an
    attention model.
    """
    result: dict[str, Any] = {}
    for method, scores in summary["methods"].items():
        localization = scores["localization"]
        row: dict[str, Any] = {
            "randomization": scores["randomization"],
            "contiguity": scores["contiguity"],
            "pointing_game": None if localization is None else localization["pointing_game"],
        }
        for policy in REMOVAL_POLICIES:
            if policy in scores:
                row[policy] = {
                    f"{curve}_{name}": scores[policy][curve]["probability"][key]
                    for curve in CURVES
                    for name, key in (
                        ("area", "area"),
                        ("random", "random_area"),
                        ("ratio", "ratio"),
                    )
                }
        result[method] = row
    if summary["interventions"] is not None:
        result["interventions"] = summary["interventions"]
    return result


def headline(summary: dict[str, Any], policy: str) -> dict[str, dict[str, float | None]]:
    """One flat row per method of `compact` for removal `policy`: {method: {name: value}}."""
    rows = {}
    for method, row in compact(summary).items():
        if method != "interventions":
            rows[method] = {
                **row[policy],
                **{k: v for k, v in row.items() if k not in REMOVAL_POLICIES},
            }
    return rows


def attention_targets(summary: dict[str, Any], policy: str) -> dict[str, dict[str, Any]] | None:
    """ATTENTION_TARGETS checked on an attention model's summary: {name: {value, target, met}}.

    None for a model without attention. The deletion ratio is that of removal `policy`.
    """
    if "attention" not in summary["methods"] or summary["interventions"] is None:
        return None
    values = {
        "deletion_ratio": headline(summary, policy)["attention"]["deletion_ratio"],
        "randomization": summary["methods"]["attention"]["randomization"],
        "uniform_f1": summary["interventions"]["uniform"]["f1"],
    }
    result = {}
    for name, comparison, bound in ATTENTION_TARGETS:
        value = values[name]
        met = value is not None and (value >= bound if comparison == ">=" else value < bound)
        result[name] = {"value": value, "target": f"{comparison} {bound}", "met": met}
    return result
