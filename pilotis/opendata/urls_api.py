"""The tabular API of each published resource."""

urlpatterns: list = []
