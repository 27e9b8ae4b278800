"""The local web UI (`otel-replay ui`, `serve --ui`): sessions, runs, diffs and baselines in a
browser, rendered on the server from the application layer. Needs the `ui` extra."""


def require_ui_extra() -> None:
    """Fail with the install hint when the `ui` extra is missing (this module imports none
    of it)."""
    from otel_replay.core.errors import BadInputError

    try:
        import jinja2  # noqa: F401
        import python_multipart  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise BadInputError(
            f"the UI needs the 'ui' extra ({exc.name} is missing): pip install 'otel-replay[ui]'"
        ) from None
