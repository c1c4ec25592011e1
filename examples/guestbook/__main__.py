"""Run the guestbook: ``python -m examples.guestbook [--host 127.0.0.1] [--port 5000]`` from the
repository root (after ``python -m examples.guestbook.connect``). Werkzeug's development server,
threaded; behind a real WSGI server use ``examples.guestbook.app:create_app()``."""

from __future__ import annotations

import argparse
import logging

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.guestbook", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--debug", action="store_true", help="Flask debug mode (never in production)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    create_app().run(host=args.host, port=args.port, debug=args.debug, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
