from __future__ import annotations

from typing import Any

from django import forms

from pilotis.metrics import registry
from pilotis.metrics.display import threshold_input


class TargetsForm(forms.Form):
    """One optional target per key indicator, typed in the unit shown (80 for 80 %)."""

    def __init__(self, *args: Any, current: dict[str, float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics: list[registry.Metric] = []
        for headline in registry.headlines():
            metric = registry.get(headline.metric)
            if metric.higher_is_better is None:
                continue  # no "good" direction: a target would colour nothing
            value = current.get(metric.slug, headline.target)
            shown = None if value is None else (100 * value if metric.unit == "ratio" else value)
            unit = "%" if metric.unit == "ratio" else ""
            self.fields[metric.slug] = forms.FloatField(
                label=f"{metric.label}{f' ({unit})' if unit else ''}",
                required=False,
                initial=None if shown is None else round(shown, 4),
                help_text=str(metric.description),
                min_value=0,
                widget=forms.NumberInput(attrs={"aria-describedby": f"id_{metric.slug}-help"}),
            )
            self.metrics.append(metric)

    def targets(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for metric in self.metrics:
            value = self.cleaned_data.get(metric.slug)
            out[metric.slug] = None if value is None else threshold_input(value, metric.unit)
        return out
