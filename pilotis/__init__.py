"""Pilotis: a French local authority steers itself with its own data."""
