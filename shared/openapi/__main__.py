"""`python -m shared.openapi --output openfaas/openapi.json`: write the generated document (make openapi)."""

import argparse
import os
import sys
from pathlib import Path

# Importing the function apps reads (and checks) the settings; the document depends on none of them.
PLACEHOLDER_SETTINGS = {
    "AGENDA_ENV": "development",
    "DATABASE_URL": "postgresql+psycopg://unused@127.0.0.1/unused",
    "JWT_SECRET": "placeholder-only-for-generating-the-openapi-document",
    "LINK_SECRET": "placeholder-only-for-generating-the-openapi-document",
    "ENCRYPTION_KEY": "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=",
    "HUEY_BACKEND": "memory",
}


def main(argv: list[str] | None = None) -> int:
    for name, value in PLACEHOLDER_SETTINGS.items():
        os.environ.setdefault(name, value)
    from shared.openapi.build import render

    parser = argparse.ArgumentParser(prog="python -m shared.openapi", description=__doc__)
    parser.add_argument("--output", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    text = render()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
