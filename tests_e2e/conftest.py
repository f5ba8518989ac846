"""Fixtures of the browser journeys.

tests_e2e/run.sh starts an Odoo server on a fresh database with the demo
organisation and passes it here through the environment:

    E2E_BASE_URL   the server, e.g. http://127.0.0.1:8069
    E2E_DB         its database
    E2E_CHROMIUM   the browser binary (default /usr/bin/chromium)
    E2E_HEADED=1   show the browser (debugging on a desktop)
    E2E_TIMEOUT_MS default wait for any element (default 30000)
    E2E_DOCS_SCREENSHOTS=1  also copy the screenshots the README shows to
                   docs/screenshots/ (journey.shot(..., docs=True))

Each journey writes its screenshots to tests_e2e/artifacts/<test name>/,
numbered in the order they were taken.  A failing step saves
NN-FAILED-<step>.png there and the failure names the step.
"""
import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from odoo_rpc import OdooRPC
from odoo_web import WebClient

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
]
VIEWPORT = {"width": 1280, "height": 800}


class JourneyStepFailed(AssertionError):
    pass


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


class Journey:
    """One person's (or several people's) path through the web client."""

    def __init__(self, name, browser, base_url, db):
        self.name = name
        self.browser = browser
        self.base_url = base_url
        self.db = db
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.step_no = 0
        self.shot_no = 0
        self.current = None
        self._contexts = []

    def as_user(self, login, password=None):
        """A new browser session, logged in as login; it becomes the current one."""
        context = self.browser.new_context(
            viewport=VIEWPORT, locale="en-US", timezone_id="UTC",
            # Granted, so that Odoo does not ask for it in a banner.
            permissions=["notifications"])
        context.set_default_timeout(int(os.environ.get("E2E_TIMEOUT_MS", "30000")))
        self._contexts.append(context)
        page = context.new_page()
        client = WebClient(page, self.base_url, self.db, login)
        self.current = client
        client.login(password)
        return client

    @contextlib.contextmanager
    def step(self, title, client=None):
        """Run a step; on failure keep a screenshot and say which step it was."""
        self.step_no += 1
        number = self.step_no
        if client is not None:
            self.current = client
        print("step %d: %s" % (number, title))
        try:
            yield
        except Exception as exc:
            shot = None
            target = client or self.current
            if target is not None:
                shot = self.dir / ("%02d-FAILED-%s.png" % (number, _slug(title)))
                try:
                    target.page.screenshot(path=str(shot))
                except Exception as shot_exc:  # the page may be gone
                    shot = "none (%s)" % shot_exc
            raise JourneyStepFailed(
                "journey %s, step %d failed: %s\n  %s: %s\n  screenshot: %s"
                % (self.name, number, title, type(exc).__name__,
                   str(exc).strip().splitlines()[0] if str(exc).strip() else "", shot)
            ) from exc

    def shot(self, name, client=None, full_page=False, docs=False):
        """Save a screenshot of the current screen as NN-name.png.

        docs=True marks a screenshot the README shows: with
        E2E_DOCS_SCREENSHOTS=1 it is copied to docs/screenshots/name.png.
        """
        client = client or self.current
        page = client.page
        # No focus ring, hover effect or half-loaded picture in the picture.
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.mouse.move(VIEWPORT["width"] - 1, VIEWPORT["height"] - 1)
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
        self.shot_no += 1
        path = self.dir / ("%02d-%s.png" % (self.shot_no, _slug(name)))
        page.screenshot(path=str(path), full_page=full_page)
        if docs and os.environ.get("E2E_DOCS_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / ("%s.png" % _slug(name)))
        return path

    def pdf_shot(self, pdf_path, name, docs=False):
        """Render the first page of a PDF as NN-name.png (docs=True: also to
        docs/screenshots/ with E2E_DOCS_SCREENSHOTS=1), as a reader sees
        it. Returns the text of that page."""
        import pypdfium2

        document = pypdfium2.PdfDocument(str(pdf_path))
        try:
            page = document[0]
            text = page.get_textpage().get_text_range()
            image = page.render(scale=1.5).to_pil()
        finally:
            document.close()
        self.shot_no += 1
        path = self.dir / ("%02d-%s.png" % (self.shot_no, _slug(name)))
        image.save(str(path))
        if docs and os.environ.get("E2E_DOCS_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / ("%s.png" % _slug(name)))
        return text

    def close(self):
        for context in self._contexts:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture(scope="session")
def server():
    base_url = os.environ.get("E2E_BASE_URL")
    db = os.environ.get("E2E_DB")
    if not base_url or not db:
        pytest.exit("E2E_BASE_URL and E2E_DB are not set: run tests_e2e/run.sh", returncode=2)
    return {"base_url": base_url, "db": db}


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"),
            headless=not os.environ.get("E2E_HEADED"),
            args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def admin_rpc(server):
    """JSON-RPC as the administrator: to set a scene or check an outcome."""
    return OdooRPC(server["base_url"], server["db"], "admin")


@pytest.fixture
def rpc_as(server):
    def _rpc(login, password=None):
        return OdooRPC(server["base_url"], server["db"], login, password)
    return _rpc


@pytest.fixture
def journey(request, browser, server):
    journey = Journey(request.node.name, browser, server["base_url"], server["db"])
    yield journey
    journey.close()
