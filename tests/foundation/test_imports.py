"""The import structure docs/architecture.md describes: no import cycle anywhere in shared/ (imports inside
functions count too), and the layer contracts of .importlinter kept (lower layers know no domain, the
domain knows no HTTP, the appointment commands sit above the effects writer and the rules)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]


def import_cycles(package: str) -> list[list[str]]:
    """Every group of modules of `package` that import each other in a circle (strongly connected
    components of the import graph with more than one module, or a module importing itself)."""
    graph = grimp.build_graph(package, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph.find_modules_directly_imported_by(module):
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_shared_has_no_import_cycle():
    assert import_cycles("shared") == []


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path, monkeypatch):
    package = tmp_path / "circle_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def use():\n    from circle_pkg import high\n    return high\n")
    (package / "high.py").write_text("from circle_pkg import low\n")
    (package / "apart.py").write_text("from circle_pkg import high\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    assert import_cycles("circle_pkg") == [["circle_pkg.high", "circle_pkg.low"]]
    sys.modules.pop("circle_pkg", None)


def test_the_layer_contracts_are_kept():
    # In its own process: lint-imports configures logging (dictConfig), which would silence the loggers
    # later tests capture.
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--config", ".importlinter",
                             "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _loaded_after(code: str) -> set[str]:
    """Top-level packages in sys.modules after running `code` in a fresh interpreter with the suite's
    settings (its environment)."""
    script = f"{code}\nimport sys\nprint(' '.join(sorted({{name.split('.')[0] for name in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_functions_that_never_see_a_bearer_token_do_not_load_pyjwt():
    # Only a function that signs or verifies a token loads PyJWT, when it first does.
    for function in ("public", "health"):
        loaded = _loaded_after(f"import functions.{function}.handler")
        assert "jwt" not in loaded, function
    assert "jwt" in _loaded_after("import functions.auth.handler\n"
                                  "from shared.accounts.tokens import issue_access_token\n"
                                  "issue_access_token(user_id=1, role='professional', professional_id=1)")


def test_signing_and_verifying_tokens_does_not_load_cryptography():
    # PyJWT would pull in cryptography's X.509 and public-key bindings (about 9 MiB per worker) for
    # algorithms the tokens never use; a worker that signs and verifies tokens holds only HMAC.
    loaded = _loaded_after(
        "import functions.auth.handler\n"
        "import redis.utils  # imports the bare package `cryptography`, as the login's rate limit does\n"
        "from shared.accounts.tokens import decode_access_token, issue_access_token\n"
        "token, _ = issue_access_token(user_id=1, role='professional', professional_id=1)\n"
        "import sys\n"
        "import jwt.algorithms\n"
        "held = [m for m in sys.modules if m.startswith(('cryptography.hazmat', 'cryptography.x509'))]\n"
        "if decode_access_token(token)['sub'] != '1' or jwt.algorithms.has_crypto or held:\n"
        "    sys.exit('PyJWT holds cryptography')")
    assert "jwt" in loaded
    # The same process still encrypts and decrypts with cryptography afterwards.
    assert "cryptography" in _loaded_after(
        "from shared.accounts.tokens import issue_access_token\n"
        "issue_access_token(user_id=1, role='professional', professional_id=1)\n"
        "from shared.secretbox import encrypt, decrypt\n"
        "if decrypt(encrypt('calendar password')) != 'calendar password':\n"
        "    raise SystemExit('no round trip')")


def test_cryptography_is_hidden_only_from_the_thread_importing_pyjwt():
    import threading

    from shared.accounts.tokens import _NoCryptographyHere

    finder = _NoCryptographyHere()
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("cryptography.hazmat.primitives")
    assert finder.find_spec("cryptographic_tools") is None
    elsewhere = []
    worker = threading.Thread(target=lambda: elsewhere.append(finder.find_spec("cryptography")))
    worker.start()
    worker.join()
    assert elsewhere == [None]


def test_availability_loads_icalendar_only_to_render_a_calendar():
    # icalendar and dateutil (about 7 MiB) serve the .ics feed; blocks, rules and the feed's settings
    # do without them.
    loaded = _loaded_after("import functions.availability.handler")
    assert not {"icalendar", "dateutil"} & loaded
