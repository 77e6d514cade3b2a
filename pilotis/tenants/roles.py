"""Roles and what each may do. The only table of rights in Pilotis."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    STEWARD = "steward", _("Data steward")
    ANALYST = "analyst", _("Analyst")
    ELECTED = "elected", _("Elected official")


class Perm(StrEnum):
    VIEW_PUBLIC = "view_public"  # what anyone, anonymous included, may see
    VIEW_DASHBOARDS = "view_dashboards"
    VIEW_DATA = "view_data"  # non-public tables, catalog, quarantine
    EDIT_DASHBOARDS = "edit_dashboards"
    MANAGE_DATA = "manage_data"  # sources, mappings, loads, catalog entries
    MANAGE_TENANT = "manage_tenant"  # members, roles, identity, accessibility statement


_READ = {Perm.VIEW_PUBLIC, Perm.VIEW_DASHBOARDS}
ROLE_PERMS: dict[str | None, frozenset[Perm]] = {
    None: frozenset({Perm.VIEW_PUBLIC}),
    Role.ELECTED: frozenset(_READ),
    Role.ANALYST: frozenset(_READ | {Perm.VIEW_DATA, Perm.EDIT_DASHBOARDS}),
    Role.STEWARD: frozenset(_READ | {Perm.VIEW_DATA, Perm.EDIT_DASHBOARDS, Perm.MANAGE_DATA}),
    Role.ADMIN: frozenset(Perm),
}
# What an intercommunality's administrator may do in a member that shares with it: read.
VIA_PARENT_PERMS = frozenset(_READ | {Perm.VIEW_DATA})
