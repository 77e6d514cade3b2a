"""The audit log takes short action names only: a long one would fit SQLite and break
PostgreSQL's column, so it is refused on both."""

import pytest

from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent


@pytest.mark.django_db
def test_short_actions_are_recorded_long_ones_refused():
    event = record("load.file", username="pilotis", target="requests:1", details={"read": 3})
    assert AuditEvent.objects.get(pk=event.pk).details == {"read": 3}
    with pytest.raises(ValueError, match="1 to 20 characters"):
        record("portfolio.project.create")
    with pytest.raises(ValueError):
        record("")
    assert AuditEvent.objects.count() == 1
