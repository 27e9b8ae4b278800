"""Use cases: what the CLI, the demo, the pytest plugin and the UI do, as importable functions."""
