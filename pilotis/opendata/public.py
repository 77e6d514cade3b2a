"""Public views (no login) say so the way tenant views do: the access matrix checks that every
view under a tenant code declares the right it requires."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pilotis.tenants.roles import Perm

V = TypeVar("V", bound=Callable[..., object])


def public_view(view: V) -> V:
    view.required_perm = Perm.VIEW_PUBLIC  # type: ignore[attr-defined]
    return view
