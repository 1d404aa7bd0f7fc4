"""CI: serve the demo the way production does (`make serve`: gunicorn + whitenoise, debug off, on
PostgreSQL) and crawl it as every demo role.

Fails (non-zero exit) on any 5xx, on a link shown to a role that answers it 4xx, on a static file (<link href>, <script src>) that is not 200 with
a year-long Cache-Control, on a CSV export that is not text/csv, or when a role cannot sign in.
Always stops the server. Run with the project's venv: `.venv/bin/python .ci/crawl.py`.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("CRAWL_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "lotserial_crawl"
ROLES = ["admin", "clerk", "production", "cashier", "viewer"]
PASSWORD = "demo"  # seed_demo's password for every demo user (demo data only)
MAX_PAGES_PER_ROLE = 400
# Sorting, paging and filter links multiply one list into hundreds of URLs: a few of each suffice.
MAX_QUERY_VARIANTS_PER_PATH = 3
# A hashed file is never changed, so it may be cached for a year (whitenoise sends ten).
MIN_STATIC_MAX_AGE = 365 * 24 * 3600
# Never followed: signing out ends the crawl's session; the admin's are POST forms anyway.
SKIPPED_PATHS = re.compile(r"^/(accounts/logout/|admin/logout/)")
CSV_EXPORT = "/trace/lots/export.csv"
STATIC_URL = "/static/"
TIME_LIMIT = 140  # seconds from the start; past it the crawl stops early and says so (CI wants < 3 min)
PARALLEL_ROLES = 2  # two crawls at a time keep both of the server's workers busy while the other parses


class Links(HTMLParser):
    """Pages (<a href>, and hx-get, the dialogs) and static files (<link href>, <script src>) of a page."""

    def __init__(self):
        super().__init__()
        self.pages: list[tuple[str, bool]] = []  # (url, fetched by htmx)
        self.assets: list[str] = []
        self.csrf_token = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.pages.append((attrs["href"], False))
        if attrs.get("hx-get"):
            self.pages.append((attrs["hx-get"], True))
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.csrf_token = attrs.get("value") or ""


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database() -> str:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{PG_SERVER}/{DB_NAME}"


def manage(env, *args) -> None:
    print(f"== manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


class Server:
    """`make serve` in its own process group, so stopping it stops make, gunicorn and its workers."""

    def __init__(self, env, log_path: Path):
        self.log_path = log_path
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, base: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make serve exited with {self.process.returncode}")
            try:
                if requests.get(f"{base}/health/", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or its workers still booting
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer {base}/health/ within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def sign_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    login = f"{base}/accounts/login/"
    form = session.get(login, timeout=10)
    token = parse(form.text).csrf_token
    if form.status_code != 200 or not token:
        raise AssertionError(f"{username}: the sign-in page answered {form.status_code} without a CSRF token")
    response = session.post(
        login,
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": login},
        timeout=10,
    )
    if response.status_code != 200 or urlsplit(response.url).path.startswith("/accounts/login/"):
        raise AssertionError(f"{username}: signing in failed ({response.status_code} at {response.url})")
    return session


def crawl(base: str, session: requests.Session, budget: float):
    """Breadth-first from home over same-site links, for at most ``budget`` seconds; returns statuses,
    failures, the static URLs seen and whether it stopped early."""
    deadline = time.monotonic() + budget
    host = urlsplit(base).netloc
    queue = [(f"{base}/", False)]
    seen = {f"{base}/"}
    variants: Counter = Counter()
    statuses: Counter = Counter()
    failures: list[str] = []
    refused: list[str] = []  # links shown that answer 4xx: listed in the summary, and failures
    assets: set[str] = set()
    while queue and sum(statuses.values()) < MAX_PAGES_PER_ROLE and time.monotonic() < deadline:
        url, htmx = queue.pop(0)
        response = session.get(url, headers={"HX-Request": "true"} if htmx else {}, timeout=30, allow_redirects=True)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {url}")
        elif response.status_code >= 400:
            # A link this role is shown must open for it: a 403 or 404 behind a link is a page bug.
            refused.append(f"{response.status_code} {urlsplit(url).path}")
            failures.append(f"a link shown answers {response.status_code}: {url}")
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        links = parse(response.text)
        # Only collected files: <script src="/admin/jsi18n/"> is a page, rightly never cached.
        assets.update(asset for asset in (urljoin(response.url, a) for a in links.assets) if urlsplit(asset).path.startswith(STATIC_URL))
        for href, by_htmx in links.pages:
            target = urldefrag(urljoin(response.url, href.strip())).url
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != host or SKIPPED_PATHS.match(parts.path):
                continue
            if target in seen:
                continue
            if parts.query:
                if variants[parts.path] >= MAX_QUERY_VARIANTS_PER_PATH:
                    continue
                variants[parts.path] += 1
            seen.add(target)
            queue.append((target, by_htmx))
    truncated = bool(queue) and sum(statuses.values()) < MAX_PAGES_PER_ROLE
    return statuses, failures, assets, truncated, refused


def check_assets(assets: set[str]) -> list[str]:
    failures = []
    for url in sorted(assets):
        response = requests.get(url, timeout=10)
        match = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
        if response.status_code != 200 or not response.content or not match or int(match.group(1)) < MIN_STATIC_MAX_AGE:
            failures.append(f"static {url}: {response.status_code}, Cache-Control {response.headers.get('Cache-Control')!r}")
    return failures


def main() -> int:
    started = time.monotonic()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # throw-away: nothing signed outlives the run
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL": "false",  # plain http on loopback
        "DJANGO_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "DATABASE_URL": fresh_database(),
    }
    print(f"== fresh database {DB_NAME}", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    (ROOT / "var").mkdir(exist_ok=True)
    print(f"== make serve on {base} (migrate, collectstatic, gunicorn)", flush=True)
    server = Server(env, ROOT / "var" / "crawl-server.log")
    failures: list[str] = []
    try:
        server.wait_ready(base)
        health = requests.get(f"{base}/health/", timeout=5)
        if (health.status_code, health.text.strip()) != (200, "ok"):
            failures.append(f"/health/ without sign-in: {health.status_code} {health.text[:80]!r}")
        print(f"== crawling as {', '.join(ROLES)} ({time.monotonic() - started:.0f} s so far)", flush=True)
        sessions = {role: sign_in(base, role) for role in ROLES}
        # Each role gets an equal share of the time left, so a slow machine crawls every role less deep.
        rounds = -(-len(ROLES) // PARALLEL_ROLES)
        budget = max(TIME_LIMIT - (time.monotonic() - started), 10 * rounds) / rounds
        with ThreadPoolExecutor(max_workers=PARALLEL_ROLES) as pool:
            results = dict(zip(ROLES, pool.map(lambda role: crawl(base, sessions[role], budget), ROLES)))
        assets: set[str] = set()
        summary = []
        for role, (statuses, role_failures, role_assets, truncated, refused) in results.items():
            failures += [f"{role}: {failure}" for failure in role_failures]
            assets |= role_assets
            summary.append(
                f"  {role:<11} {sum(statuses.values()):>4} pages  "
                + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
                + ("  (stopped early: time budget)" if truncated else "")
            )
            if refused:
                summary.append(f"  {'':<11} 4xx: {', '.join(refused[:5])}{' …' if len(refused) > 5 else ''}")
        export = sessions["clerk"].get(f"{base}{CSV_EXPORT}", timeout=30)
        kind = export.headers.get("Content-Type", "")
        if export.status_code != 200 or not kind.startswith("text/csv"):
            failures.append(f"clerk: {CSV_EXPORT}: {export.status_code} {kind!r}")
        summary.append(f"  clerk       {CSV_EXPORT}: {export.status_code} {kind}, {len(export.content)} bytes")
        failures += check_assets(assets)
        print("== crawl, per role (status: responses)")
        print("\n".join(summary))
        print(
            f"  static files: {len(assets)}, each 200 with Cache-Control max-age >= {MIN_STATIC_MAX_AGE}"
            if not any(f.startswith("static") for f in failures)
            else f"  static files: {len(assets)}"
        )
    except Exception as error:  # noqa: BLE001 - reported below, and the server still stops
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        server.stop()
    print(f"== {time.monotonic() - started:.0f} s")
    if failures:
        print(f"== server log (last lines of {server.log_path}):\n{server.tail()}")
        print("== CRAWL FAILED:\n  " + "\n  ".join(failures[:50]))
        return 1
    print("== crawl passed: no 5xx, no link shown that fails, static files cached for a year, CSV export served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
