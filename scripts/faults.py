#!/usr/bin/env python3
"""Fault injection against the release binary, on loopback, bounded in time (a few minutes).
Run it through scripts/faults (or scripts/test, which runs it after the browser tests).

Checks, each printed as PASS or FAIL with what it measured:
  crash-sqlite, crash-postgres   kill -9 during concurrent writes: no acknowledged write lost
                                 (and SQLite's integrity_check is ok)
  postgres-outage                PostgreSQL stopped and started under load: failures answered
                                 fast, service back soon after the database
  slow-connections               idle sockets, slowloris headers and trickled bodies: a normal
                                 client's p99 stays low, every stalled connection is closed
  sigterm-stalled                SIGTERM with stalled clients: requests in progress finish, the
                                 process exits long before the grace period
  fuzz                           random requests to every route and server function: no 5xx,
                                 no panic in the log
  soak                           steady mixed load: RSS stays flat

The last line is `faults: N passed, N failed`; the exit status is non-zero if any failed.
PostgreSQL checks run on a private cluster (initdb in a temporary directory, a free port) so
that stopping it disturbs nothing else; without PostgreSQL's binaries they are skipped, except
under CI=1, where that is a failure.
"""

import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "seamless"
PASSWORD = "violet staple orbit canyon"
RESULTS = []


def report(name, ok, detail):
    RESULTS.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def percentile(values, pct):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * pct / 100))]


class Http:
    """A small HTTP client (one request per connection, bounded by a timeout)."""

    def __init__(self, base, timeout=10):
        self.base = base
        self.timeout = timeout
        self.cookie = None

    def request(self, method, path, body=None, headers=None, form=False, raw=None):
        headers = dict(headers or {})
        data = raw
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                data = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
        if self.cookie:
            headers.setdefault("Cookie", self.cookie)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=self.timeout) as res:
                self._keep_cookie(res.headers)
                return res.status, res.read(), res.headers
        except urllib.error.HTTPError as err:
            self._keep_cookie(err.headers)
            return err.code, err.read(), err.headers

    def _keep_cookie(self, headers):
        for value in headers.get_all("Set-Cookie") or []:
            if value.startswith("seamless_session="):
                self.cookie = value.split(";", 1)[0]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Server:
    """The release binary with a data directory of its own."""

    def __init__(self, data_dir, env=None, database_url=None):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({
            "LEPTOS_SITE_ADDR": f"127.0.0.1:{self.port}",
            "APP_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": database_url or f"sqlite:{self.data_dir}/faults.db",
            "LEPTOS_SITE_ROOT": str(ROOT / "target" / "site"),
            "LOG_ACCESS": "false",
            "RUST_LOG": "warn",
            "RATE_LIMITS_ENABLED": "false",
        })
        self.env.update(env or {})
        self.proc = None
        self.stderr_path = self.data_dir / "server.log"

    def start(self, deadline=30.0):
        started = time.monotonic()
        log = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([str(BINARY)], env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
        while time.monotonic() - started < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as res:
                    if res.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited at start-up: {self.log()[-2000:]}")
            time.sleep(0.02)
        raise RuntimeError("the server did not become ready")

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""


def sign_up(server, email, name="Fault Finder"):
    """A person with a password, signed in in `http` (browser), and an API access token."""
    http = Http(server.base)
    status, body, _ = http.request("POST", "/rpc/signup", {"name": name, "email": email, "password": PASSWORD},
                                   {"Origin": server.base, "Accept": "application/json"}, form=True)
    assert status == 200, (status, body)
    status, body, _ = Http(server.base).request("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    assert status == 200, (status, body)
    return http, json.loads(body)["access_token"]


class Postgres:
    """A PostgreSQL cluster of our own, in a temporary directory, on a free port."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise FileNotFoundError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="seamless-faults-pg-"))
        self.port = free_port()
        self.as_postgres = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres user.
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        subprocess.run(self.as_postgres + [str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                                           "-U", "postgres", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        subprocess.run(self.as_postgres + [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", opts,
                                           "-l", str(self.dir / "pg.log"), "-w", "-t", "30", "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode="fast"):
        subprocess.run(self.as_postgres + [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode,
                                           "-w", "-t", "30", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def remove(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------

def every_task(http, bearer):
    """The ids of every task, following the list's `Link: <…>; rel="next"` pages. Returns the
    first non-200 status and what was read until then, or 200 and all of them."""
    present, path = set(), "/api/v1/todos?limit=500"
    while path:
        status, body, headers = http.request("GET", path, headers=bearer)
        if status != 200:
            return status, present
        present.update(t["id"] for t in json.loads(body))
        link = re.match(r'<([^>]+)>; rel="next"', headers.get("Link") or "")
        path = link.group(1) if link else None
    return 200, present


def crash_during_writes(name, database_url=None, writers=8, seconds=3.0):
    data = Path(tempfile.mkdtemp(prefix="seamless-faults-"))
    server = Server(data, database_url=database_url)
    try:
        server.start()
        browser, token = sign_up(server, f"crash-{random.randrange(10**9)}@example.com")
        bearer = {"Authorization": f"Bearer {token}"}
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def writer(n):
            http = Http(server.base, timeout=5)
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    status, body, _ = http.request("POST", "/api/v1/todos", {"title": f"writer {n} task {i}"}, bearer)
                except (OSError, ConnectionError, urllib.error.URLError):
                    return  # the server is gone
                if status == 201:
                    with lock:
                        acked.append(json.loads(body)["id"])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=10)
        back_in = server.start()
        status, present = every_task(Http(server.base), bearer)
        lost = [i for i in acked if i not in present]
        # The task page's counts are kept with the writes, in the same transaction: they must
        # still be the list's own.
        _, body, _ = browser.request("POST", "/rpc/list_todos", {}, {"Origin": server.base, "Accept": "application/json"}, form=True)
        counts = json.loads(body or "{}")
        counted = counts.get("total") == len(present) and counts.get("open") == len(present)
        integrity = "n/a"
        if database_url is None:
            with sqlite3.connect(data / "faults.db") as db:
                integrity = db.execute("pragma integrity_check").fetchone()[0]
        ok = status == 200 and not lost and len(acked) > 0 and integrity in ("ok", "n/a") and counted
        report(name, ok, f"{len(acked)} writes acknowledged before kill -9, {len(lost)} lost, "
                         f"counts {counts.get('total')} of {len(present)} tasks, "
                         f"integrity_check {integrity}, ready again {back_in * 1000:.0f} ms after restart")
    except Exception as err:  # noqa: BLE001 - a broken check is a failed check
        report(name, False, f"{type(err).__name__}: {err}")
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def postgres_outage(pg, outage_s=3.0):
    name = "postgres-outage"
    data = Path(tempfile.mkdtemp(prefix="seamless-faults-"))
    server = Server(data, database_url=pg.url, env={"DATABASE_ACQUIRE_TIMEOUT": "5s"})
    try:
        server.start()
        _, token = sign_up(server, f"outage-{random.randrange(10**9)}@example.com")
        bearer = {"Authorization": f"Bearer {token}"}
        samples, stop = [], threading.Event()

        def reader():
            http = Http(server.base, timeout=15)
            while not stop.is_set():
                started = time.monotonic()
                try:
                    status, _, _ = http.request("GET", "/api/v1/todos", headers=bearer)
                except (OSError, urllib.error.URLError):
                    status = -1
                samples.append((started, time.monotonic() - started, status))
                time.sleep(0.02)

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        down_at = time.monotonic()
        pg.stop("fast")
        time.sleep(outage_s)
        pg.start()
        up_at = time.monotonic()
        deadline = up_at + 15
        while time.monotonic() < deadline:
            if any(s[0] > up_at and s[2] == 200 for s in samples):
                break
            time.sleep(0.05)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=20)
        # The first failure tells the instance; every request that starts after it must fail fast.
        first_503 = min((start + lat for (start, lat, st) in samples if st == 503 and start >= down_at), default=None)
        failures = [lat for (start, lat, st) in samples if st == 503 and first_503 and first_503 <= start < up_at]
        first_ok = min((s[0] for s in samples if s[0] > up_at and s[2] == 200), default=None)
        odd = sorted({st for (_, _, st) in samples if st not in (200, 503)})
        recover = (first_ok - up_at) if first_ok else float("inf")
        found_out = (first_503 - down_at) if first_503 else float("inf")
        p99 = percentile(failures, 99) * 1000 if failures else float("nan")
        ok = bool(failures) and p99 < 100 and recover < 2.0 and not odd
        report(name, ok, f"first 503 {found_out * 1000:.0f} ms after PostgreSQL stopped; then {len(failures)} requests "
                         f"answered 503, p99 {p99:.1f} ms; first 200 {recover * 1000:.0f} ms after PostgreSQL was back; "
                         f"other statuses: {odd or 'none'}")
    except Exception as err:  # noqa: BLE001
        report(name, False, f"{type(err).__name__}: {err}")
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def slow_connections(idle=500, slowloris=50, slow_bodies=10):
    name = "slow-connections"
    data = Path(tempfile.mkdtemp(prefix="seamless-faults-"))
    server = Server(data, env={"HTTP_HEADER_READ_TIMEOUT": "2s", "HTTP_KEEP_ALIVE_TIMEOUT": "2s", "HTTP_BODY_TIMEOUT": "2s"})
    socks = []
    try:
        server.start()
        _, token = sign_up(server, f"slow-{random.randrange(10**9)}@example.com")
        for _ in range(idle):
            socks.append(("idle", socket.create_connection(("127.0.0.1", server.port))))
        for _ in range(slowloris):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            socks.append(("slowloris", s))
        for _ in range(slow_bodies):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
            socks.append(("slow-body", s))
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for kind, s in socks:
                    if kind != "idle":
                        try:
                            s.send(b"a" if kind == "slowloris" else b" ")
                        except OSError:
                            pass
                time.sleep(0.5)

        trickler = threading.Thread(target=trickle)
        trickler.start()
        latencies, errors = [], 0
        http = Http(server.base, timeout=5)
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            started = time.monotonic()
            status, _, _ = http.request("GET", "/api/v1/todos", headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.monotonic() - started)
            errors += status != 200
        # Every stalled connection must be gone by now (2 s timeouts, plus margin).
        time.sleep(2.5)
        stop.set()
        trickler.join()
        still_open = 0
        for kind, s in socks:
            s.setblocking(False)
            try:
                got = s.recv(4096)
                closed = got == b"" or b"408" in got
                if b"408" in got:
                    # An answer first; the close follows.
                    s.settimeout(3)
                    while s.recv(4096):
                        pass
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            still_open += not closed
        p99 = percentile(latencies, 99) * 1000
        ok = p99 < 50 and errors == 0 and still_open == 0
        report(name, ok, f"{idle} idle, {slowloris} slowloris and {slow_bodies} trickled bodies: a normal client made "
                         f"{len(latencies)} requests, p99 {p99:.1f} ms, {errors} errors; "
                         f"{len(socks) - still_open} of {len(socks)} stalled connections closed by the server")
    except Exception as err:  # noqa: BLE001
        report(name, False, f"{type(err).__name__}: {err}")
    finally:
        for _, s in socks:
            s.close()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def sigterm_with_stalled_clients():
    name = "sigterm-stalled"
    data = Path(tempfile.mkdtemp(prefix="seamless-faults-"))
    server = Server(data, env={"HTTP_SHUTDOWN_TIMEOUT": "20s", "AUTH_HASH_CONCURRENCY": "1"})
    socks = []
    try:
        server.start()
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        for _ in range(20):
            socks.append(socket.create_connection(("127.0.0.1", server.port)))
        # Sign-ups in progress (each an argon2id hash, one at a time) when the signal comes.
        results = []

        def sign_up_one(n):
            http = Http(server.base, timeout=30)
            try:
                status, _, _ = http.request("POST", "/rpc/signup", {"name": "Late", "email": f"late{n}@example.com", "password": PASSWORD},
                                            {"Origin": server.base, "Accept": "application/json"}, form=True)
                results.append(status)
            except urllib.error.URLError as err:
                # Refused: it arrived after the listener had closed, which is allowed.
                results.append("refused" if isinstance(err.reason, ConnectionRefusedError) else f"broken: {err.reason}")
            except OSError as err:
                results.append(f"broken: {err}")

        threads = [threading.Thread(target=sign_up_one, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.1)
        sent = time.monotonic()
        os.killpg(server.proc.pid, signal.SIGTERM)
        code = server.proc.wait(timeout=30)
        took = time.monotonic() - sent
        for t in threads:
            t.join(timeout=30)
        answered = [r for r in results if r != "refused"]
        ok = code == 0 and took < 5.0 and answered and all(r == 200 for r in answered)
        report(name, ok, f"exit {code} {took * 1000:.0f} ms after SIGTERM (grace period 20 s) with 40 stalled or idle "
                         f"clients; sign-ups around the signal: {results}")
    except Exception as err:  # noqa: BLE001
        report(name, False, f"{type(err).__name__}: {err}")
    finally:
        for s in socks:
            s.close()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


SERVER_FUNCTIONS = {
    "login": ["email", "password", "next"],
    "signup": ["name", "email", "password", "next"],
    "logout": [],
    "current_user": [],
    "auth_providers": [],
    "pending_link": [],
    "link_account": ["password"],
    "list_todos": ["after", "limit", "filter", "q", "sort"],
    "add_todo": ["title"],
    "complete_todo": ["id"],
    "reopen_todo": ["id"],
    "rename_todo": ["id", "title", "description", "due_on", "version", "after"],
    "move_todo": ["up", "down", "after", "shown", "filter", "q", "sort"],
    "delete_todo": ["id", "after", "shown", "filter", "q", "sort"],
    "complete_all": ["filter", "q", "sort"],
    "clear_completed": ["filter", "q", "sort"],
    "bulk_todos": ["ids[]", "action", "after", "shown"],
    "restore_todos": ["undo", "after", "shown"],
    "deleted_todos": ["undo"],
    "set_time_zone": ["time_zone"],
    "account_overview": [],
    "update_profile": ["name"],
    "resend_verification": [],
    "change_password": ["current_password", "new_password"],
    "revoke_session": ["id"],
    "sign_out_everywhere": [],
    "unlink_provider": ["provider"],
    "delete_account": ["confirm_email"],
    "request_password_reset": ["email"],
    "reset_password": ["token", "new_password"],
    "verify_email": ["token"],
}
PAGES = ["/", "/login", "/signup", "/todos", "/account", "/forgot-password", "/reset-password", "/verify-email",
         "/login/link", "/auth/github", "/auth/google", "/auth/github/callback", "/no/such/page", "/favicon.svg",
         "/healthz", "/readyz", "/.well-known/jwks.json", "/api/v1/openapi.json"]
API = [("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/auth/logout"),
       ("GET", "/api/v1/me"), ("GET", "/api/v1/todos"), ("POST", "/api/v1/todos"), ("GET", "/api/v1/todos/{id}"),
       ("PATCH", "/api/v1/todos/{id}"), ("DELETE", "/api/v1/todos/{id}")]


def nasty_text(rng):
    choices = [
        "", " ", "a" * rng.choice([1, 64, 300, 5000]), "ada@example.com", "not an email", "../../etc/passwd",
        "<script>alert(1)</script>", "'; drop table users; --", "\u0000", "\ud7ff\u202e", "𝓤𝓷𝓲𝓬𝓸𝓭𝓮 ✓", "%00%ff",
        "null", "true", "-1", "9" * 40, "0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6f", "browser:abc", "api:abc", "github",
        "".join(rng.choice(string.printable) for _ in range(rng.randrange(1, 80))),
    ]
    return rng.choice(choices)


def nasty_json(rng):
    return rng.choice([
        None, 1, "x", [], [1, 2], {}, {"title": nasty_text(rng)}, {"title": None, "completed": "yes"},
        {"email": nasty_text(rng), "password": nasty_text(rng)}, {"refresh_token": nasty_text(rng)},
        {"completed": rng.choice([True, False]), "extra": 1}, {"title": nasty_text(rng), "completed": True},
    ])


def raw_request(rng, host):
    """A request a well-behaved client would never send."""
    method = rng.choice(["GET", "POST", "OPTIONS", "CONNECT", "BREW", "G\x00ET", ""])
    target = rng.choice([host, "*", "/", "//", "/%00", "/..%2f..%2f", "http://evil.example/todos", "/" + "a" * 9000,
                         "/rpc/login?" + "x=" * 500, "/todos#frag", "\xff\xfe", ""])
    version = rng.choice(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", ""])
    headers = [f"Host: {host}"] if rng.random() < 0.8 else []
    extra = rng.choice([
        [], ["Content-Length: -1"], ["Content-Length: 5", "Content-Length: 7"], ["Transfer-Encoding: chunked"],
        ["Transfer-Encoding: chunked", "Content-Length: 3"], ["X-Big: " + "b" * 20000], ["Cookie: seamless_session=" + "c" * 500],
        ["Origin: null"], ["X-Forwarded-For: 1.2.3.4, ::1, garbage"], ["Accept: text/html"] * 3, ["Bad Header: x"],
    ])
    body = rng.choice([b"", b"{", b"0\r\n\r\n", b"zz\r\nnot hex\r\n", b"x" * 100])
    head = f"{method} {target} {version}\r\n" + "".join(h + "\r\n" for h in headers + extra) + "\r\n"
    return head.encode("utf-8", "surrogateescape") + body


def fuzz(requests=6000, raw=400, seed=None):
    name = "fuzz"
    seed = seed if seed is not None else random.randrange(10**6)
    rng = random.Random(seed)
    data = Path(tempfile.mkdtemp(prefix="seamless-faults-"))
    # Short timeouts, so that a malformed request the server rightly waits on (a body it was
    # promised) is settled within the client's patience.
    server = Server(data, env={"RUST_LOG": "info", "HTTP_HEADER_READ_TIMEOUT": "2s", "HTTP_KEEP_ALIVE_TIMEOUT": "2s",
                               "HTTP_BODY_TIMEOUT": "2s"})
    try:
        server.start()
        browser, token = sign_up(server, "fuzz@example.com")
        _, created, _ = Http(server.base).request("POST", "/api/v1/todos", {"title": "a real task"}, {"Authorization": f"Bearer {token}"})
        todo_id = json.loads(created)["id"]
        five_hundreds = []
        counted = 0
        for _ in range(requests):
            kind = rng.random()
            http = Http(server.base, timeout=15)
            if rng.random() < 0.5:
                http.cookie = browser.cookie
            headers = {"Origin": server.base} if rng.random() < 0.9 else {}
            if rng.random() < 0.5:
                headers["Accept"] = rng.choice(["application/json", "text/html", "*/*", "text/html,application/xhtml+xml"])
            if kind < 0.55:
                fn = rng.choice(list(SERVER_FUNCTIONS))
                fields = {f: nasty_text(rng) for f in SERVER_FUNCTIONS[fn] if rng.random() < 0.85}
                if "id" in fields and rng.random() < 0.3:
                    fields["id"] = todo_id
                if rng.random() < 0.1:
                    fields[nasty_text(rng) or "x"] = nasty_text(rng)
                if fn in ("delete_account", "sign_out_everywhere", "logout") and rng.random() < 0.8:
                    http.cookie = None  # keep the fuzzing user signed in most of the time
                method, path = "POST", f"/rpc/{fn}"
                if rng.random() < 0.1:
                    path += "?" + urllib.parse.urlencode(fields)
                    status, _, _ = http.request(method, path, headers=headers)
                else:
                    status, _, _ = http.request(method, path, fields, headers, form=True)
            elif kind < 0.8:
                method, path = rng.choice(API)
                segment = rng.choice([todo_id, nasty_text(rng) or "x", "00000000-0000-0000-0000-000000000000"])
                path = path.replace("{id}", urllib.parse.quote(segment, safe=""))
                if rng.random() < 0.7:
                    headers["Authorization"] = rng.choice([f"Bearer {token}", "Bearer not.a.token", "Basic abc", "Bearer "])
                body = nasty_json(rng)
                if method in ("POST", "PATCH"):
                    payload = rng.choice([json.dumps(body).encode(), b"{", b"\xff\xfe", b"", json.dumps(body).encode() * 2])
                    headers["Content-Type"] = rng.choice(["application/json", "text/plain", "application/json; charset=utf-8"])
                    status, _, _ = http.request(method, path, headers=headers, raw=payload)
                else:
                    status, _, _ = http.request(method, path, headers=headers)
            else:
                path = rng.choice(PAGES)
                if rng.random() < 0.6:
                    query = {k: nasty_text(rng) for k in rng.sample(["next", "token", "error", "provider", "reason", "__err", "__path", "code", "state", "q", "undo", "select", "sort", "filter", "edit"], 3)}
                    path += "?" + urllib.parse.urlencode(query)
                method = rng.choice(["GET", "GET", "GET", "HEAD", "POST", "PUT", "OPTIONS"])
                status, _, _ = http.request(method, path, headers=headers)
            counted += 1
            if status >= 500:
                five_hundreds.append((status, method, path[:80]))
        # Malformed requests on raw sockets: the server answers or closes, and stays up.
        host = f"127.0.0.1:{server.port}"
        unanswered = 0
        for _ in range(raw):
            with socket.create_connection(("127.0.0.1", server.port), timeout=6) as conn:
                request = raw_request(rng, host)
                try:
                    conn.sendall(request)
                    got = conn.recv(64)
                    if got.startswith(b"HTTP/1.1 5"):
                        five_hundreds.append((got[:12].decode(errors="replace"), "raw", request[:120]))
                except socket.timeout:
                    unanswered += 1
                except OSError:
                    pass
        alive = Http(server.base).request("GET", "/healthz")[0] == 200
        log = server.log()
        panics = len(re.findall(r"panicked", log))
        ok = not five_hundreds and panics == 0 and alive and unanswered == 0
        detail = (f"{counted} random requests and {raw} malformed ones (seed {seed}): {len(five_hundreds)} answered 5xx, "
                  f"{unanswered} left without an answer, {panics} panics in the log, still alive: {alive}")
        if five_hundreds:
            detail += f"; first: {five_hundreds[:3]}"
        report(name, ok, detail)
    except Exception as err:  # noqa: BLE001
        report(name, False, f"{type(err).__name__}: {err}")
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def soak(seconds=30):
    name = "soak"
    data = Path(tempfile.mkdtemp(prefix="seamless-faults-"))
    server = Server(data)
    try:
        server.start()
        browser, token = sign_up(server, "soak@example.com")
        bearer = {"Authorization": f"Bearer {token}"}
        stop = threading.Event()
        counts = {"requests": 0, "errors": 0}

        def load(n):
            http = Http(server.base, timeout=10)
            http.cookie = browser.cookie
            i = 0
            while not stop.is_set():
                i += 1
                if i % 3 == 0:
                    # A task made and deleted: the data stays the same size, so memory should too.
                    status, body, _ = http.request("POST", "/api/v1/todos", {"title": f"soak {n}-{i}"}, bearer)
                    if status == 201:
                        tid = json.loads(body)["id"]
                        status, _, _ = http.request("DELETE", f"/api/v1/todos/{tid}", headers=bearer)
                elif i % 3 == 1:
                    status, _, _ = http.request("GET", "/todos", headers={"Accept": "text/html"})
                else:
                    status, _, _ = http.request("GET", "/api/v1/todos", headers=bearer)
                counts["requests"] += 1
                counts["errors"] += status >= 400

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        samples = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(1.0)
            samples.append(rss_mb(server.proc.pid))
        stop.set()
        for t in threads:
            t.join(timeout=20)
        warm = samples[len(samples) // 3:]
        first, last, peak = statistics.mean(warm[:3]), statistics.mean(warm[-3:]), max(warm)
        growth = last - first
        ok = growth < max(8.0, 0.15 * first) and counts["errors"] == 0
        report(name, ok, f"{counts['requests']} requests in {seconds} s from 4 clients, {counts['errors']} errors; RSS after warm-up "
                         f"{first:.1f} MB -> {last:.1f} MB (peak {peak:.1f} MB)")
    except Exception as err:  # noqa: BLE001
        report(name, False, f"{type(err).__name__}: {err}")
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", help="run only these checks (repeatable)")
    p.add_argument("--seed", type=int, help="seed of the fuzz")
    args = p.parse_args()
    if not BINARY.exists():
        raise SystemExit(f"{BINARY} is missing: run scripts/faults (it builds the release first)")
    want = lambda name: not args.only or name in args.only  # noqa: E731
    started = time.monotonic()
    pg = None
    if any(want(n) for n in ("crash-postgres", "postgres-outage")):
        try:
            pg = Postgres()
            pg.start()
        except (FileNotFoundError, subprocess.CalledProcessError) as err:
            if os.environ.get("CI"):
                report("postgres", False, f"cannot start a PostgreSQL cluster of our own: {err}")
            else:
                print(f"skipped the PostgreSQL checks: {err}", flush=True)
            pg = None
    try:
        if want("crash-sqlite"):
            crash_during_writes("crash-sqlite")
        if pg and want("crash-postgres"):
            crash_during_writes("crash-postgres", database_url=pg.url)
        if pg and want("postgres-outage"):
            postgres_outage(pg)
        if want("slow-connections"):
            slow_connections()
        if want("sigterm-stalled"):
            sigterm_with_stalled_clients()
        if want("fuzz"):
            fuzz(seed=args.seed)
        if want("soak"):
            soak()
    finally:
        if pg:
            pg.remove()
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"(took {time.monotonic() - started:.0f} s)")
    print(f"faults: {passed} passed, {failed} failed", flush=True)
    out = ROOT / "target" / "faults"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"passed": passed, "failed": failed,
                                                  "checks": [{"name": n, "pass": ok} for n, ok in RESULTS]}, indent=2))
    sys.exit(1 if failed or not RESULTS else 0)


if __name__ == "__main__":
    main()
