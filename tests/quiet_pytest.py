"""Arguments for pytest runs inside tests (pytester): no cache files, and no pytest-benchmark,
whose warning that xdist disables it is an error in the inner run under `pytest -n`."""

QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:benchmark")
