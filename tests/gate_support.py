"""What the gates (tests marked `gate`) share: finding their tools, and the real service on a loopback port.

A gate whose tool is absent (the `gates` extra, Debian's chromium) is skipped with the reason, so the plain
`pip install -e ".[test]" && pytest` passes on a machine that has only Python; with KB_GATES=required (as
scripts/run-gates.sh sets it) a missing tool is a failure instead.

The gate modules share one server per test session: each defines its `live_server` fixture as
`shared_live_server(request)`, which starts the server (granian) on first use and stops it when the session ends.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from service.config import PROJECT_ROOT

INSTALL_HINT = 'install the gates with `scripts/run-gates.sh` (or `pip install -e ".[test,gates]"` and `apt-get install chromium chromium-driver`)'


def gates_required() -> bool:
    return os.environ.get("KB_GATES", "").strip().lower() == "required"


def tool_missing(what: str) -> None:
    """Skip the calling test because `what` is absent, or fail it when KB_GATES=required."""
    message = f"{what} is not available: {INSTALL_HINT}"
    if gates_required():
        pytest.fail(f"KB_GATES=required but {message}", pytrace=False)
    pytest.skip(message)


def optional_import(name: str) -> ModuleType | None:
    """The module, or None when it is not installed (the test then calls tool_missing)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def require_module(name: str, extra: str = "gates") -> ModuleType:
    module = optional_import(name)
    if module is None:
        tool_missing(f"the Python package {name!r} (extra `{extra}`)")
    return module


def require_executable(path: str, package: str) -> str:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        tool_missing(f"{path} (Debian package `{package}`)")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _console_script(name: str) -> str:
    """The project's console script installed beside this interpreter (the venv's bin/)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"the `{name}` command is not installed beside {sys.executable}: pip install -e .")
    return found


class LiveServer:
    """The production server (granian, `python -m service.server`) on 127.0.0.1:<free port>, on a fresh SQLite file
    loaded by `sanctions-kb init`."""

    def __init__(self, workdir: Path, database_url: str | None = None) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = {
            **os.environ,
            # absolute path: sqlite:////tmp/...
            "DATABASE_URL": database_url or f"sqlite:///{workdir / 'sanctions-kb.sqlite3'}",
            "WEB_CONCURRENCY": "2",
            "GRANIAN_HOST": "127.0.0.1",
            "GRANIAN_PORT": str(self.port),
            "GRANIAN_LOG_ACCESS_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None
        self.token = ""

    def sanctions_kb(self, *args: str, timeout: float = 300) -> str:
        """Run `sanctions-kb ARGS` on this server's database; its standard output, or the test fails."""
        done = subprocess.run(
            [_console_script("sanctions-kb"), *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            command = " ".join(args)
            pytest.fail(
                f"`sanctions-kb {command}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False
            )
        return done.stdout

    def start(self, timeout: float = 60.0) -> None:
        self.sanctions_kb("init")
        # An editor's bearer token for the operations that need one (an editor may do what a curator may).
        self.token = self.sanctions_kb("token", "create", "--name", "gate-editor", "--role", "editor").strip()
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.server"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"the server did not answer /health within {timeout:.0f} s:\n{self.log()}", pytrace=False)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: granian stops its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self, tail: int = 60) -> str:
        lines = (
            self.log_path.read_text(encoding="utf-8", errors="replace").splitlines() if self.log_path.exists() else []
        )
        return "\n".join(lines[-tail:])


_server: LiveServer | None = None


def shared_live_server(request: pytest.FixtureRequest) -> LiveServer:
    """The real service, started once per test session for all the gates, and stopped at the session's end."""
    global _server
    if _server is None:
        server = LiveServer(request.getfixturevalue("tmp_path_factory").mktemp("live-server"))
        request.session.config.add_cleanup(server.stop)
        server.start()
        _server = server
    return _server


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BROWSER_WAIT = 30  # seconds a page may take to load


@contextmanager
def chromium(profile: Path, *flags: str) -> Iterator:
    """Debian's headless chromium driven by Selenium, with a profile of its own (and `flags`, such as a window
    size), its console kept (read with get_log("browser")); quit at the end."""
    webdriver = require_module("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = require_executable(CHROMIUM, "chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        *flags,
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit chromedriver: Selenium Manager (which would download one) is never run.
    driver = webdriver.Chrome(
        service=Service(executable_path=require_executable(CHROMEDRIVER, "chromium-driver")), options=options
    )
    driver.set_page_load_timeout(BROWSER_WAIT)
    try:
        yield driver
    finally:
        driver.quit()


AXE_CORE_VERSION = "4.14.1"  # scripts/run-gates.sh installs it from npm into the venv (VENV/node)


def axe_core_path() -> Path:
    """axe-core's script (npm package `axe-core`): $KB_AXE_CORE, or where run-gates.sh installs it."""
    default = Path(sys.prefix) / "node" / "node_modules" / "axe-core" / "axe.min.js"
    path = Path(os.environ.get("KB_AXE_CORE") or default)
    if not path.is_file():
        tool_missing(
            f"axe-core {AXE_CORE_VERSION} at {path} (npm: `npm install --prefix {sys.prefix}/node axe-core@{AXE_CORE_VERSION}`)"
        )
    return path


# The two screens the page gates look at: a laptop's, and a phone's (390 px wide, twice as dense).
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def open_page(browser, url: str) -> None:
    """Load `url` in the browser and wait until the page has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, BROWSER_WAIT).until(lambda b: b.execute_script("return document.readyState") == "complete")


def axe_violations(browser) -> list[dict]:
    """axe-core's violations on the page as it is now (its script injected from its file)."""
    browser.execute_script(axe_core_path().read_text(encoding="utf-8"))
    violations = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
    )
    assert isinstance(violations, list), violations
    return violations
