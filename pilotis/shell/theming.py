"""Each tenant's visual identity: its colour checked for WCAG AA contrast, served as CSS."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
MIN_CONTRAST = 4.5  # WCAG 2.1 AA, normal text (RGAA criterion 3.2)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour, as WCAG defines it."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def validate_brand_colour(colour: str) -> None:
    """Refuse a colour that is not #rrggbb or that white text on it would not read (AA)."""
    if not HEX_COLOUR.match(colour or ""):
        raise ValidationError(
            _("“%(value)s” is not a colour in #rrggbb form (for example #1f4e79)."),
            params={"value": colour},
            code="invalid_colour",
        )
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "The colour %(value)s is too light: white text on it has a contrast of "
                "%(ratio).1f:1, below the %(min).1f:1 required by the RGAA. Choose a darker shade."
            ),
            params={"value": colour, "ratio": ratio, "min": MIN_CONTRAST},
            code="low_contrast",
        )


def darker(colour: str, factor: float = 0.75) -> str:
    r, g, b = (int(int(colour[i : i + 2], 16) * factor) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def stylesheet(tenant: object) -> str:
    """CSS custom properties carrying the tenant's colours."""
    colour = getattr(tenant, "primary_color", "") or "#1f4e79"
    if not HEX_COLOUR.match(colour) or contrast_ratio(colour, WHITE) < MIN_CONTRAST:
        colour = "#1f4e79"  # never serve an unreadable theme, whatever the database holds
    return f":root {{ --brand: {colour}; --brand-dark: {darker(colour)}; }}\n"
