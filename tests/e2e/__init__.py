"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server."""

from pathlib import Path

# Debian's package, never a browser downloaded by `playwright install` (the machines have no internet).
CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = f"Chromium not found at {CHROMIUM}: install Debian's chromium package to run the browser tests"

# The password of the users the browser tests sign in as.
PASSWORD = "correct horse battery staple"


def sign_in(page, *, username: str, password: str) -> None:
    """Sign in through the real sign-in page."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
