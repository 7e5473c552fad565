"""Fixtures for PhotoLink's end-to-end tests.

Each test gets: a clean keyring and app data, the stand-in browser reset to Approve, its own
demo provider process (for `app`), its own tauri-driver, and an artifacts folder that is kept
only when the test fails, or always with PHOTOLINK_E2E_KEEP_ARTIFACTS=1 (screenshots, page source, app/driver/provider output, browser log).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from app_window import App, TauriDriver
from desktop import (
    SINGLE_INSTANCE_NAME,
    StandinBrowser,
    clear_keyring,
    pids_running,
    require_private_session,
    wait_until,
)
from independent_server import REDIRECT_STYLES, IndependentServer
from provider import DemoProvider

REPO = Path(__file__).resolve().parents[2]
PROVIDER_NAME = "Test Photos"
SECOND_PROVIDER_NAME = "Work Photos"


def target_dir() -> Path:
    return (REPO / os.environ.get("CARGO_TARGET_DIR", "target")).resolve()


def built_binary(env_name: str, name: str) -> Path:
    path = Path(os.environ.get(env_name) or target_dir() / "debug" / name).resolve()
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: build it first (cargo build -p photolink; cargo build -p photolink-demo-provider --features test-machinery), or run scripts/test.sh")
    return path


def keep_all_artifacts() -> bool:
    """PHOTOLINK_E2E_KEEP_ARTIFACTS=1 keeps every test's artifacts, not only failed ones'."""
    return os.environ.get("PHOTOLINK_E2E_KEEP_ARTIFACTS") == "1"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the whole suite ran and passed ---------------------------------------------------------
# pytest's own exit status stays 0 when tests were skipped, deselected by `-k`/`-m` (also through
# PYTEST_ADDOPTS) or left out by naming files; these hooks make the run fail instead: always when
# fewer tests passed than were selected, and under CI=true when anything narrowed the suite.
# PHOTOLINK_E2E_EXPECTED_TESTS=N allows a narrowed run of exactly N tests (the installer checks'
# happy path).

_tally = {"deselected": 0, "passed": set(), "problems": []}


def pytest_deselected(items) -> None:
    _tally["deselected"] += len(items)


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" and report.passed:
        _tally["passed"].add(report.nodeid)


def suite_problems(selected: int, deselected: int, named: list[str], passed: int, ci: bool, expected: str | None) -> list[str]:
    """Why a finished run must not count as the whole suite passing (empty when it does)."""
    problems = []
    if passed < selected:
        problems.append(f"only {passed} of the {selected} selected tests ran and passed")
    if expected is not None:
        if not expected.isdigit() or int(expected) != selected:
            problems.append(f"PHOTOLINK_E2E_EXPECTED_TESTS={expected}, but {selected} tests were selected")
    elif ci and (deselected or named):
        how = f"{deselected} deselected" if deselected else f"only {' '.join(named)} named"
        problems.append(f"CI=true runs the whole suite, but a selection narrowed it ({how})")
    return problems


def pytest_sessionfinish(session, exitstatus) -> None:
    if session.config.option.collectonly:
        return
    problems = suite_problems(
        selected=len(session.items),
        deselected=_tally["deselected"],
        named=list(session.config.option.file_or_dir or []),
        passed=len(_tally["passed"]),
        ci=os.environ.get("CI") == "true",
        expected=os.environ.get("PHOTOLINK_E2E_EXPECTED_TESTS"),
    )
    _tally["problems"] = problems
    if problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    for problem in _tally["problems"]:
        terminalreporter.write_line(f"FAILED: the end-to-end suite did not run whole: {problem}", red=True, bold=True)


def failed_so_far(request) -> bool:
    return any(
        getattr(request.node, f"report_{phase}", None) is not None
        and getattr(request.node, f"report_{phase}").failed
        for phase in ("setup", "call")
    )


@pytest.fixture(scope="session", autouse=True)
def home() -> Path:
    """The private session's HOME; every test refuses to run outside such a session."""
    return require_private_session()


@pytest.fixture(scope="session")
def app_binary() -> Path:
    return built_binary("PHOTOLINK_APP_BINARY", "photolink")


@pytest.fixture(scope="session")
def provider_binary() -> Path:
    return built_binary("PHOTOLINK_PROVIDER_BINARY", "photolink-demo-provider")


@pytest.fixture(scope="session")
def artifacts_root() -> Path:
    root = Path(os.environ.get("PHOTOLINK_E2E_ARTIFACTS") or REPO / ".artifacts" / "e2e")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


@pytest.fixture(scope="session")
def installed_browser(home) -> StandinBrowser:
    browser = StandinBrowser(home)
    browser.install()
    return browser


@pytest.fixture
def artifacts(request, artifacts_root) -> Path:
    directory = artifacts_root / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    directory.mkdir(parents=True, exist_ok=True)
    yield directory
    if not failed_so_far(request) and not keep_all_artifacts():
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def browser(installed_browser, artifacts) -> StandinBrowser:
    installed_browser.reset()
    yield installed_browser
    installed_browser.save_log(artifacts)


@pytest.fixture
def clean_slate(home, app_binary):
    """No PhotoLink running, nothing in its keyring service, no app config or data."""
    for pid in pids_running(app_binary):
        os.kill(pid, signal.SIGKILL)
    if not wait_until(lambda: not pids_running(app_binary), 10):
        raise RuntimeError(f"PhotoLink processes left over from earlier tests: {pids_running(app_binary)}")
    clear_keyring()
    for base in (home / ".config", home / ".local/share", home / ".cache", home / ".local/state"):
        shutil.rmtree(base / "com.example.photolink", ignore_errors=True)


@pytest.fixture
def provider(request, provider_binary, artifacts) -> DemoProvider:
    marker = request.node.get_closest_marker("provider_args")
    args = [arg.replace("{artifacts}", str(artifacts)) for arg in (marker.args if marker else ())]
    running = DemoProvider(provider_binary, artifacts, args)
    yield running
    running.stop()


def _launcher(request, app_binary, artifacts, browser, config: Path | None, single_instance_name: str | None = None):
    env = dict(os.environ)
    env.pop("PHOTOLINK_PROVIDER_CONFIG", None)
    if config is not None:
        env["PHOTOLINK_PROVIDER_CONFIG"] = str(config)
        # Forged links the test opens itself start PhotoLink with the same setup.
        os.environ["PHOTOLINK_PROVIDER_CONFIG"] = str(config)
    else:
        os.environ.pop("PHOTOLINK_PROVIDER_CONFIG", None)
    marker = request.node.get_closest_marker("app_env")
    for name, value in (marker.kwargs if marker else {}).items():
        env[name] = value
        # Links the OS delivers start PhotoLink with the same environment.
        os.environ[name] = value
    env.setdefault(
        "RUST_LOG", "warn,photolink_lib=debug,tauri_plugin_sign_in=debug,photolink_oauth=debug,photolink_demo_provider=info"
    )
    env.setdefault("RUST_BACKTRACE", "1")
    tauri_driver = TauriDriver(artifacts / "app-and-driver.log", env)
    app = App(app_binary, tauri_driver, single_instance_name or SINGLE_INSTANCE_NAME)
    try:
        yield app
    finally:
        if failed_so_far(request) or keep_all_artifacts():
            app.save_evidence(artifacts, "window")
            subprocess.run(
                ["import", "-window", "root", str(artifacts / "screen.png")], capture_output=True, timeout=30
            )
            processes = subprocess.run(["ps", "-eo", "pid,ppid,stat,etime,args"], capture_output=True, text=True)
            (artifacts / "processes.txt").write_text(processes.stdout)
        try:
            app.quit()
        finally:
            tauri_driver.stop()
            os.environ.pop("PHOTOLINK_PROVIDER_CONFIG", None)
            for name in marker.kwargs if marker else {}:
                os.environ.pop(name, None)


@pytest.fixture
def app(request, clean_slate, app_binary, artifacts, browser, provider) -> App:
    """PhotoLink pointed at the test's demo provider through PHOTOLINK_PROVIDER_CONFIG; not yet launched."""
    config = provider.write_app_config(artifacts / "provider.toml", PROVIDER_NAME)
    yield from _launcher(request, app_binary, artifacts, browser, config)


@pytest.fixture
def second_provider(provider_binary, artifacts) -> DemoProvider:
    """Another demo provider, on a port of its own, for settings that name several providers."""
    folder = artifacts / "second-provider"
    folder.mkdir(exist_ok=True)
    running = DemoProvider(provider_binary, folder)
    yield running
    running.stop()


@pytest.fixture
def two_providers_app(request, clean_slate, app_binary, artifacts, browser, provider, second_provider) -> App:
    """PhotoLink with a provider.toml of two `[[providers]]`: the test's demo provider as
    PROVIDER_NAME and the second one as SECOND_PROVIDER_NAME; not yet launched."""
    config = artifacts / "provider.toml"
    config.write_text(
        "[[providers]]\n"
        + provider.app_config_fields(PROVIDER_NAME)
        + "\n[[providers]]\n"
        + second_provider.app_config_fields(SECOND_PROVIDER_NAME)
    )
    yield from _launcher(request, app_binary, artifacts, browser, config)


@pytest.fixture
def embedded_app(request, clean_slate, app_binary, artifacts, browser) -> App:
    """PhotoLink with no provider configured (it runs its embedded demo provider); not yet launched."""
    yield from _launcher(request, app_binary, artifacts, browser, None)


@pytest.fixture(params=REDIRECT_STYLES)
def redirect_style(request) -> str:
    """Each test that asks for it runs with PhotoLink's scheme and with a loopback listener."""
    return request.param


@pytest.fixture
def independent_server(request, artifacts) -> IndependentServer:
    """The independent authorization server (oidc-provider), with the `provider_args` marker's arguments."""
    marker = request.node.get_closest_marker("provider_args")
    running = IndependentServer(artifacts, list(marker.args if marker else ()))
    yield running
    running.stop()


@pytest.fixture
def independent_app(request, clean_slate, app_binary, artifacts, browser, independent_server, redirect_style) -> App:
    """PhotoLink pointed at the independent server with the test's redirect style; not yet launched."""
    config = independent_server.write_app_config(artifacts / "provider.toml", PROVIDER_NAME, redirect_style)
    yield from _launcher(request, app_binary, artifacts, browser, config)
