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


def test_every_rate_limit_setting_is_in_the_readme_with_its_default():
    from shared.config import RATE_LIMIT_DEFAULTS

    for name, default in RATE_LIMIT_DEFAULTS.items():
        assert f"| `RATE_LIMIT_{name.upper()}` | `{default}` |" in README, name


def test_the_runbook_binds_the_faasd_gateway_to_loopback_and_says_how_to_check():
    # Published on every interface, the gateway lets anyone skip nginx (spoofed X-Forwarded-For,
    # direct calls to reminders).
    assert '- "127.0.0.1:8080:8080"' in README
    assert "ss -ltnp | grep ':8080'" in README
    assert "curl -m 5 http://<public address>:8080/healthz" in README


def test_the_readme_lists_the_production_checks():
    section = README.split("### Production checks", 1)[1].split("\n## ", 1)[0]
    for setting in ("JWT_SECRET", "LINK_SECRET", "PUBLIC_BASE_URL", "TRUSTED_PROXY_COUNT"):
        assert setting in section, setting
