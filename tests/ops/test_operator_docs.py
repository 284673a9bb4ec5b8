"""The operator's instructions keep up with the deployment: every secret has its command, every task its
make target."""

from __future__ import annotations

import re

import pytest

from shared.localdev.gateway import load_stack
from tests.conftest import REPO

README = (REPO / "README.md").read_text()
MAKEFILE = (REPO / "Makefile").read_text()


def test_every_secret_of_the_stack_has_its_create_command_in_the_readme():
    secrets = {name for spec in load_stack()["functions"].values() for name in spec.get("secrets") or ()}

    assert secrets
    for name in sorted(secrets):
        assert f"faas-cli secret create {name}" in README, name


@pytest.mark.parametrize("target", ["migrate", "create-admin", "openapi", "bench", "lint", "backup",
                                    "restore", "nginx-conf", "deploy-check"])
def test_every_operator_task_has_a_make_target(target):
    assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.MULTILINE), target


@pytest.mark.parametrize("section", ["Operating Agenda", "faasd, and its licence", "nginx and TLS",
                                     "The Huey consumer", "Backups", "Logs", "Metrics",
                                     "Upgrading, and rolling back", "Timeouts"])
def test_the_readme_has_the_operating_sections(section):
    assert re.search(rf"^#+ {re.escape(section)}$", README, re.MULTILINE), section
