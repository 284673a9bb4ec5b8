"""Reading the Prometheus text format in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the samples `name` whose labels include `labels`, summed; 0 when there is none."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and all(item.labels.get(k) == v for k, v in labels.items()):
                total += item.value
    return total


def family_names(text: str) -> set[str]:
    """The metric families the text declares."""
    return {family.name for family in text_string_to_metric_families(text)}
