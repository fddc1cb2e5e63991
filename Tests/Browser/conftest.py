"""Fixtures for the shopper-page tests: Debian's headless Chromium through Playwright, a
stand-in shop on another loopback origin, and the service's API. The stack itself is started
(and stopped, by pid) by Tests/Browser/run.sh, which passes its URLs in the environment."""
import json
import os
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

SERVICE = os.environ["SERVICE_URL"]
API_KEY = os.environ["API_KEY"]
SHOP = os.environ["SHOP_URL"]
SANDBOX = os.environ["SANDBOX_URL"]
SCREENSHOTS = Path(os.environ["SCREENSHOT_DIR"])


class ShopHandler(BaseHTTPRequestHandler):
    """The merchant's own site on a different origin: where returnUrl and SHOP_URL lead."""

    def do_GET(self):
        body = b"<!doctype html><html lang=en><head><meta charset=utf-8><title>Back at the shop</title></head><body><h1>Back at the shop</h1></body></html>"
        self.send_response(200 if self.path != "/favicon.ico" else 204)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "0" if self.path == "/favicon.ico" else str(len(body)))
        self.end_headers()
        if self.path != "/favicon.ico":
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session", autouse=True)
def shop():
    host, port = SHOP.removeprefix("http://").split(":")
    server = ThreadingHTTPServer((host, int(port)), ShopHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SHOP
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        yield browser
        browser.close()


@pytest.fixture
def console(request):
    """Console errors, page errors and CSP violations seen by the test's pages."""
    problems = []
    request.node.console_problems = problems
    return problems


def watched_page(context, console, request):
    """A page whose console errors, warnings (CSP violations among them) and page errors go to
    `console`, and which is screenshotted if the test fails."""
    page = context.new_page()
    page.on("console", lambda message: console.append(f"console {message.type}: {message.text}") if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    request.node.browser_page = page
    return page


@pytest.fixture
def page(browser, console, request):
    context = browser.new_context()
    yield watched_page(context, console, request)
    context.close()


@pytest.fixture
def mobile(browser, console, request):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield watched_page(context, console, request)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = getattr(item, "browser_page", None)
        if page is not None and not page.is_closed():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"{item.name}.png"
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", str(path)))


def api(method, path, body=None):
    """Calls the merchant API with the test key; returns (status, headers, JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(SERVICE + path, data=data, method=method, headers={
        "Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", "Accept": "application/json",
    })
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, headers = error.read(), error.code, error.headers
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw.decode()


def sandbox(method, path, body=None):
    """Calls the local Dintero sandbox's control endpoints (faults, stats, release)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(SANDBOX + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())
