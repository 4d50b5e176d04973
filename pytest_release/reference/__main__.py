"""``python -m pytest_release.reference``: run the reference deployment (options as `serve`)."""

from __future__ import annotations

import argparse

from pytest_release.reference.server import add_serve_arguments, serve


def main(argv: list[str] | None = None) -> int:
    """Parse the options and serve until stopped."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_release.reference",
        description="Serve the reference deployment of interactive code examples.",
    )
    add_serve_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
