"""The digital-maturity self-assessment and the sharing between authorities (pages)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
