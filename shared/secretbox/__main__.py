"""Operator commands for the encryption keys: `new-key`, `status`, `rotate` (README, "Encryption keys")."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys

from shared import secretbox


def _columns():
    from shared.models import Base

    return secretbox.encrypted_columns(Base.metadata)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.secretbox")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new-key", help="print a new random key for ENCRYPTION_KEY")
    commands.add_parser("status", help="how many stored values are under each key id")
    rotate = commands.add_parser("rotate", help="re-encrypt every stored value under ENCRYPTION_KEY")
    rotate.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)

    if args.command == "new-key":
        print(base64.urlsafe_b64encode(os.urandom(secretbox.KEY_BYTES)).decode())
        return 0

    from shared.config import ConfigError
    from shared.db import get_engine

    try:
        engine = get_engine()
    except ConfigError as error:
        print(f"agenda: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "rotate":
            done = secretbox.rotate(engine, _columns(), batch_size=args.batch_size)
            print(json.dumps({"re_encrypted": done}, indent=2))
        print(json.dumps({"current_key_id": secretbox.keyring().current_id,
                          "values_by_key_id": secretbox.count_by_key(engine, _columns())}, indent=2))
    except secretbox.EncryptionKeyError as error:
        print(f"agenda: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
