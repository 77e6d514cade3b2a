"""Built-in demo generators; each module registers itself on import."""

from pilotis.demo.generators import (
    alerts,  # noqa: F401
    finance,  # noqa: F401
    home,  # noqa: F401
    hr,  # noqa: F401
    maturity,  # noqa: F401
    online,  # noqa: F401
    opendata,  # noqa: F401
    orgchart,  # noqa: F401
    parking,  # noqa: F401
    portfolio,  # noqa: F401
    requests_log,  # noqa: F401
    requests_mobile,  # noqa: F401
    requests_webform,  # noqa: F401
)
