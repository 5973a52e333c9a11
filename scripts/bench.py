#!/usr/bin/env python3
"""Benchmark Seamless (and, with --with-fastapi, the two-service stack's FastAPI back end; with
--with-nextjs, the Next.js + Better Auth peer; --with-peers, both) on loopback with wrk. Run it
through scripts/bench, which installs wrk and builds the release.

Every case runs for a fixed time, `--rounds` times; the table shows medians. Server CPU comes
from /proc/<pid>/stat, peak RSS from /proc/<pid>/status (VmHWM). Budgets are ratios within one
run, because machines here are shared and noisy. Results: a markdown table on stdout and JSON
under target/bench/.
"""

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "violet staple orbit canyon"
TICKS = os.sysconf("SC_CLK_TCK")
# What a Chromium sends for a page load (the encodings trimmed to the two both servers know):
# a real browser gets a compressed page, which wrk with only a Cookie header never asks for.
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8",
    "Accept-Encoding": "br, gzip",
    "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the stat line (11 and 12 after the comm field).
    return (int(fields[11]) + int(fields[12])) * 1000.0 / TICKS


def thread_switches(pids) -> dict:
    """Voluntary context switches of each thread of the processes, by (pid, thread id): how
    often each went to sleep waiting for something (another thread, the network, the disk)."""
    counts = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches:"):
                        counts[(pid, task.name)] = int(line.split()[1])
            except OSError:
                pass
    return counts


def switches_between(before: dict, after: dict) -> int:
    """Switches made between two readings by the threads alive at the second (a thread that
    exited in between takes its count with it, so this can undercount, never go negative)."""
    return sum(n - before.get(tid, 0) for tid, n in after.items())


def peak_rss_mb(pids) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024.0


def process_tree(pid: int):
    """The process and its descendants (uvicorn workers)."""
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        out.extend(process_tree(int(child)))
    return out


class Http:
    """A tiny HTTP client with cookies, for seeding."""

    def __init__(self, base):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method, path, body=None, headers=None, form=False):
        data = None
        headers = dict(headers or {})
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                data = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as res:
                return res.status, res.read(), dict(res.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read(), dict(err.headers)

    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def fetch(base, path, headers=None, method="GET", body=None):
    """One request that follows no redirect (urllib follows them, and the signed-out cases are
    about the redirect itself) and decodes nothing (the sizes are the bytes on the wire).
    Returns the status, the body and the headers (as a message, so repeated Set-Cookie lines
    survive): the order of Http.request's answer."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        res = conn.getresponse()
        return res.status, res.read(), res.headers
    finally:
        conn.close()


def check_compressed(base, path, headers):
    """The page as a browser gets it: a 200, compressed. A browser-headers case that got the page
    uncompressed would measure the same work as the bare one."""
    status, body, res_headers = fetch(base, path, headers)
    encoding = res_headers.get("Content-Encoding")
    assert status == 200 and encoding, f"{base}{path} with browser headers: {status}, Content-Encoding {encoding!r}"
    return {"content_encoding": encoding, "bytes": len(body)}


def check_redirect(base, path):
    """A signed-out page answers a redirect. wrk counts only 4xx/5xx as errors, so a 3xx case
    cannot tell a redirect from a 200: this one request does."""
    status, _, res_headers = fetch(base, path)
    assert 300 <= status < 400, f"{base}{path} signed out: {status}, expected a redirect"
    return {"status": status, "location": res_headers.get("Location")}


def wait_ready(url, deadline_s=30.0):
    """Polls `url` until it answers 200; returns the seconds it took. Bounded in time."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        try:
            with urllib.request.urlopen(url, timeout=1) as res:
                if res.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.005)
    raise SystemExit(f"{url} did not become ready within {deadline_s} s")


def lua_script(method, body=None, headers=None):
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for k, v in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}")
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write("\n".join(lines) + "\n")
    f.close()
    return f.name


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def parse_wrk(out):
    res = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+\w+)", out)
        res[f"p{pct}_ms"] = to_ms(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return res


def wrk(url, duration, connections, script=None, headers=None):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    return parse_wrk(out)


def run_case(server_pids, case, duration, connections):
    before = sum(cpu_ms(p) for p in server_pids)
    switches_before = thread_switches(server_pids)
    r = wrk(case["url"], duration, case.get("connections", connections), case.get("script"), case.get("headers"))
    after = sum(cpu_ms(p) for p in server_pids)
    switches_after = thread_switches(server_pids)
    expected = case.get("expect", "2xx")
    # wrk's "Non-2xx or 3xx responses" counts only 4xx and 5xx, so a redirect case ("3xx",
    # checked once by check_redirect) counts errors like a 2xx one.
    r["errors"] = r["socket_errors"] + (r["non_2xx"] if expected in ("2xx", "3xx") else r["requests"] - r["non_2xx"])
    r["cpu_ms_per_req"] = (after - before) / r["requests"] if r["requests"] else float("nan")
    r["switches_per_req"] = switches_between(switches_before, switches_after) / r["requests"] if r["requests"] else float("nan")
    return r


def median_of(rounds):
    keys = rounds[0].keys()
    return {k: statistics.median([r[k] for r in rounds]) for k in keys}


class Server:
    def __init__(self, cmd, env, cwd, ready_path, port, log=None):
        """`log`: a file for the server's output (a chatty server would fill an unread pipe and
        stall); without it, stdout is dropped and stderr piped, as before."""
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        if log is not None:
            with open(log, "wb") as out:
                self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        else:
            self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            self.ready_s = wait_ready(self.base + ready_path)
        except SystemExit:
            self.stop()  # a server that never got ready must not outlive the benchmark
            raise
        self.startup_s = time.monotonic() - started

    def pids(self):
        return process_tree(self.proc.pid)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def seamless_server(data_dir, extra_env=None):
    port = free_port()
    env = dict(os.environ)
    env.update({
        "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
        "APP_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:{data_dir}/bench.db",
        "LEPTOS_SITE_ROOT": str(ROOT / "target" / "site"),
        "LOG_ACCESS": "false",
        "RUST_LOG": "warn",
        "RATE_LIMITS_ENABLED": "false",
    })
    env.update(extra_env or {})
    return Server([str(ROOT / "target" / "release" / "seamless")], env, ROOT, "/readyz", port)


def post_todos(base, token, count, threads=4):
    """`count` tasks through POST /api/v1/todos over `threads` keep-alive connections: the public
    way in, so the rows are what the app itself writes, and fast enough for thousands (Http opens
    a connection per request; 5,000 of those one after the other take most of a minute)."""
    u = urllib.parse.urlsplit(base)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(numbers):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        try:
            for i in numbers:
                conn.request("POST", "/api/v1/todos", body=json.dumps({"title": f"Task number {i + 1}"}), headers=headers)
                res = conn.getresponse()
                body = res.read()
                assert res.status == 201, (res.status, body[:200])
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, [range(t, count, threads) for t in range(threads)]))


def seed_seamless(server, tasks, big_tasks=0):
    """Two users: `reader` with `tasks` tasks (read cases), `writer` for the write case; with
    `big_tasks`, a third, `bulk`, with that many (what a long list costs)."""
    origin = {"Origin": server.base, "Accept": "application/json"}
    users = {}
    for who in ("reader", "writer") + (("bulk",) if big_tasks else ()):
        http = Http(server.base)
        status, body, _ = http.request("POST", "/rpc/signup", {"name": who.title(), "email": f"{who}@example.com", "password": PASSWORD}, origin, form=True)
        assert status == 200, (status, body)
        status, body, _ = http.request("POST", "/api/v1/auth/token", {"email": f"{who}@example.com", "password": PASSWORD})
        assert status == 200, (status, body)
        token = json.loads(body)["access_token"]
        status, body, _ = http.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        users[who] = {"http": http, "token": token, "id": json.loads(body)["id"], "cookie": http.cookie_header()}
    reader = users["reader"]
    for i in range(tasks):
        status, _, _ = reader["http"].request("POST", "/api/v1/todos", {"title": f"Task number {i + 1}"}, {"Authorization": f"Bearer {reader['token']}"})
        assert status == 201
    if big_tasks:
        started = time.monotonic()
        post_todos(server.base, users["bulk"]["token"], big_tasks)
        print(f"  seeded {big_tasks:,} tasks in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return users


def seamless_cases(server, users, duration, big_tasks=0):
    r, w = users["reader"], users["writer"]
    bearer = {"Authorization": f"Bearer {r['token']}"}
    return [
        {"name": "GET /healthz", "key": "healthz", "url": server.base + "/healthz"},
        {"name": "GET /todos (SSR page, session cookie)", "key": "ssr", "url": server.base + "/todos", "headers": {"Cookie": r["cookie"]}},
        # The page as a browser asks for it: brotli-compressed on every request.
        {"name": "GET /todos (SSR page, session cookie, browser headers)", "key": "ssr_browser", "url": server.base + "/todos",
         "headers": {**BROWSER_HEADERS, "Cookie": r["cookie"]}},
        # The same page for a person with no tasks (the writer, before the write case adds some):
        # what a page costs apart from its rows.
        {"name": "GET /todos (SSR page, no tasks)", "key": "ssr_empty", "url": server.base + "/todos", "headers": {"Cookie": w["cookie"]}},
        {"name": "GET /todos (SSR page, no tasks, browser headers)", "key": "ssr_empty_browser", "url": server.base + "/todos",
         "headers": {**BROWSER_HEADERS, "Cookie": w["cookie"]}},
        {"name": "GET /todos signed out (redirect to /login)", "key": "ssr_signed_out", "url": server.base + "/todos", "expect": "3xx"},
        {"name": "POST /rpc/list_todos (server function)", "key": "rpc", "url": server.base + "/rpc/list_todos",
         "script": lua_script("POST", "", {"Cookie": r["cookie"], "Origin": server.base, "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"})},
        {"name": "GET /api/v1/todos (Bearer)", "key": "api_list", "url": server.base + "/api/v1/todos", "headers": bearer},
        {"name": "GET /api/bench/todos (no auth, benchmark only)", "key": "unauth_list", "url": f"{server.base}/api/bench/todos?user_id={r['id']}"},
        {"name": "POST /api/v1/todos", "key": "api_create", "url": server.base + "/api/v1/todos",
         "script": lua_script("POST", json.dumps({"title": "Written by wrk"}), {"Authorization": f"Bearer {w['token']}", "Content-Type": "application/json"})},
        {"name": "GET /api/v1/todos, invalid token (401)", "key": "api_401", "url": server.base + "/api/v1/todos",
         "headers": {"Authorization": "Bearer not.a.token"}, "expect": "non-2xx"},
        {"name": "POST /api/v1/auth/token (argon2id, 2 connections)", "key": "sign_in", "url": server.base + "/api/v1/auth/token", "connections": 2,
         "script": lua_script("POST", json.dumps({"email": "reader@example.com", "password": PASSWORD}), {"Content-Type": "application/json"})},
    ] + (big_cases(server, users["bulk"], big_tasks) if big_tasks else [])


def big_cases(server, b, big_tasks):
    """The long list (the `bulk` user): the whole page, and the API's first page, which should
    cost about what a short list does."""
    n = f"{big_tasks:,}"
    return [
        {"name": f"GET /todos ({n} tasks)", "key": "ssr_big", "url": server.base + "/todos", "headers": {"Cookie": b["cookie"]}},
        {"name": f"GET /api/v1/todos ({n} tasks, first page)", "key": "api_big_page", "url": server.base + "/api/v1/todos?limit=50",
         "headers": {"Authorization": f"Bearer {b['token']}"}},
    ]


def big_sizes(server, b, big_tasks):
    """What the long-list cases send: the page's HTML and rows, the API page's bytes and items."""
    status, html, _ = fetch(server.base, "/todos", {"Cookie": b["cookie"], "Accept": "text/html"})
    assert status == 200, status
    status, body, _ = fetch(server.base, "/api/v1/todos?limit=50", {"Authorization": f"Bearer {b['token']}"})
    assert status == 200, status
    return {"tasks": big_tasks, "html_bytes": len(html), "rows_rendered": html.count(b'role="checkbox"'),
            "api_first_page_bytes": len(body), "api_first_page_items": len(json.loads(body))}


def signed_out_pages(server, paths=("/login", "/signup", "/forgot-password")):
    """The HTML of the pages a person sees before signing in (fetched without a cookie), for the
    size of the wasm and JS each one loads."""
    http = Http(server.base)
    pages = {}
    for path in paths:
        status, html, _ = http.request("GET", path, headers={"Accept": "text/html"})
        assert status == 200, (path, status)
        pages[path] = html
    return pages


def mixed_case(server, users, duration, flood_connections, sign_in_path, sign_in_body, list_url, list_headers):
    """Sign-ins at full concurrency while a second client lists todos; the second one's latency."""
    flood = lua_script("POST", json.dumps(sign_in_body), {"Content-Type": "application/json"})
    flood_cmd = ["wrk", "-t1", f"-c{flood_connections}", f"-d{duration + 2}s", "--timeout", "30s", "-s", flood, server.base + sign_in_path]
    flood_proc = subprocess.Popen(flood_cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(1.0)  # let the flood reach full concurrency before measuring the other client
    reader = wrk(list_url, duration, 4, headers=list_headers)
    reader["errors"] = reader["socket_errors"] + reader["non_2xx"]
    flood_out = flood_proc.communicate(timeout=duration + 60)[0]
    reader["flood_rps"] = parse_wrk(flood_out)["rps"]
    return reader


def sign_in_during_reset_flood(server, duration, flood_connections=64):
    """Made-up password resets at full concurrency (each a form post with a new password and
    a link that does not exist) while a person signs in again and again through the API; the
    latency of those sign-ins. A reset that hashed before checking its link would queue every
    sign-in behind the flood's hashes."""
    body = urllib.parse.urlencode({"token": "made-up-link", "new_password": "a long new passphrase"})
    flood = lua_script("POST", body, {"Origin": server.base, "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"})
    flood_cmd = ["wrk", "-t1", f"-c{flood_connections}", f"-d{duration + 2}s", "--timeout", "30s", "-s", flood, server.base + "/rpc/reset_password"]
    flood_proc = subprocess.Popen(flood_cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(1.0)  # let the flood reach full concurrency before measuring the sign-ins
    http = Http(server.base)
    latencies = []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        started = time.monotonic()
        status, _, _ = http.request("POST", "/api/v1/auth/token", {"email": "reader@example.com", "password": PASSWORD})
        assert status == 200, status
        latencies.append((time.monotonic() - started) * 1000.0)
    flood_out = flood_proc.communicate(timeout=duration + 60)[0]
    return {"sign_ins": len(latencies), "p50_ms": statistics.median(latencies), "max_ms": max(latencies),
            "flood_rps": parse_wrk(flood_out)["rps"]}


LIGHTHOUSE_VERSION = "12.2.3"  # the last line that runs on Node 20


def ensure_lighthouse():
    """npm's lighthouse under target/bench/lighthouse (installed once)."""
    dest = ROOT / "target" / "bench" / "lighthouse"
    cli = dest / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        print(f"  installing lighthouse {LIGHTHOUSE_VERSION} under {dest}", file=sys.stderr)
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(dest), "--no-audit", "--no-fund", "--silent",
                        f"lighthouse@{LIGHTHOUSE_VERSION}"], check=True, timeout=900)
    return cli


def lighthouse(cli, url, cookie=None):
    """Lighthouse's scores for one page, with its defaults (mobile emulation, simulated slow 4G and
    4x CPU throttling), in Debian's Chromium: performance, accessibility and best practices (0 to
    100), Total Blocking Time, and the audits that cost points."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = ["node", str(cli), url, "--chrome-path=/usr/bin/chromium",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu", "--output=json", f"--output-path={out}",
               "--quiet", "--only-categories=performance,accessibility,best-practices"]
        if cookie:
            cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        subprocess.run(cmd, check=True, timeout=300, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = json.loads(out.read_text())
    cats, audits = report["categories"], report["audits"]
    failing = sorted({ref["id"] for cat in cats.values() for ref in cat["auditRefs"]
                      if ref.get("weight", 0) > 0 and audits[ref["id"]].get("score") is not None
                      and audits[ref["id"]]["score"] < 1})
    return {
        "url": report.get("finalDisplayedUrl") or report.get("finalUrl"),
        "performance": round(cats["performance"]["score"] * 100),
        "accessibility": round(cats["accessibility"]["score"] * 100),
        "best_practices": round(cats["best-practices"]["score"] * 100),
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "failing": failing,
    }


def lighthouse_pages(server, cookie):
    """Lighthouse on /todos (signed in, 50 tasks) and /login, one page at a time, with the server
    otherwise idle."""
    cli = ensure_lighthouse()
    out = {}
    for path, with_cookie in (("/todos", True), ("/login", False)):
        out[path] = lighthouse(cli, server.base + path, cookie if with_cookie else None)
        r = out[path]
        print(f"  Lighthouse {path}: performance {r['performance']}, accessibility {r['accessibility']}, "
              f"best practices {r['best_practices']}, TBT {r['tbt_ms']:.0f} ms", file=sys.stderr)
    return out


def lighthouse_budgets(scores):
    checks = []
    for path, r in scores.items():
        checks += [
            (f"Lighthouse performance of {path} >= 95", r["performance"], 95, f"{r['performance']} (TBT {r['tbt_ms']:.0f} ms)", ">="),
            (f"Lighthouse accessibility of {path} = 100", r["accessibility"], 100, str(r["accessibility"]), ">="),
            (f"Lighthouse best practices of {path} = 100", r["best_practices"], 100, str(r["best_practices"]), ">="),
        ]
    return judge(checks)


def bundle_sizes(html):
    """The wasm and JS the /todos page loads: every /pkg/ file its HTML references (the main
    bundle, and with `--split` the page's own wasm chunks and the loader that fetches them),
    raw and as the precompressed .br files the server sends."""
    out = pkg_sizes(html)
    out["html_todos_50"] = len(html)
    return out


def page_sizes(pages):
    """pkg_sizes of each page, with its HTML's size: the pages before signing in have budgets
    of their own, smaller than /todos's."""
    return {path: {**pkg_sizes(html), "html": len(html)} for path, html in pages.items()}


def pkg_sizes(html):
    """The /pkg/ wasm and JS files an HTML page references, raw and brotli (the .br files)."""
    pkg = ROOT / "target" / "site" / "pkg"
    names = sorted(set(re.findall(r'/pkg/([A-Za-z0-9_.\-]+\.(?:wasm|js))\b', html.decode())))
    out = {"wasm_raw": 0, "wasm_br": 0, "js_raw": 0, "js_br": 0, "files": names}
    for name in names:
        kind = "wasm" if name.endswith(".wasm") else "js"
        f = pkg / name
        br = pkg / (name + ".br")
        out[f"{kind}_raw"] += f.stat().st_size
        out[f"{kind}_br"] += br.stat().st_size if br.exists() else f.stat().st_size
    return out


def fmt(v, digits=1):
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    return f"{v:,.{digits}f}"


def table(rows, title):
    lines = [f"### {title}", "", "| case | req/s | p50 ms | p99 ms | errors | server CPU ms/req | thread switches/req |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows:
        lines.append(f"| {name} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {int(r['errors'])} | {fmt(r['cpu_ms_per_req'], 3)} | {fmt(r.get('switches_per_req'), 2)} |")
    return "\n".join(lines)


def bench_seamless(args, extra_env=None, label="Seamless", big_tasks=0, with_lighthouse=False):
    data_dir = Path(tempfile.mkdtemp(prefix="seamless-bench-"))
    server = seamless_server(data_dir, extra_env)
    try:
        users = seed_seamless(server, args.tasks, big_tasks)
        browser_page = check_compressed(server.base, "/todos", {**BROWSER_HEADERS, "Cookie": users["reader"]["cookie"]})
        signed_out = check_redirect(server.base, "/todos")
        cases = seamless_cases(server, users, args.duration, big_tasks)
        results = {}
        for case in cases:
            rounds = [run_case(server.pids(), case, args.duration, args.connections) for _ in range(args.rounds)]
            results[case["key"]] = {"name": case["name"], **median_of(rounds)}
            print(f"  {label}: {case['name']}: {results[case['key']]['rps']:.0f} req/s", file=sys.stderr)
        r = users["reader"]
        mixed_rounds = [
            mixed_case(server, users, args.duration, 32, "/api/v1/auth/token", {"email": "writer@example.com", "password": PASSWORD},
                       server.base + "/api/v1/todos", {"Authorization": f"Bearer {r['token']}"})
            for _ in range(args.rounds)
        ]
        mixed = median_of(mixed_rounds)
        mixed["cpu_ms_per_req"] = float("nan")
        mixed["name"] = "GET /api/v1/todos while 32 connections sign in"
        results["mixed"] = mixed
        flood_rounds = [sign_in_during_reset_flood(server, args.duration) for _ in range(args.rounds)]
        results_flood = median_of(flood_rounds)
        print(f"  {label}: sign-in during a reset flood: max {results_flood['max_ms']:.0f} ms", file=sys.stderr)
        status, html, _ = r["http"].request("GET", "/todos", headers={"Accept": "text/html"})
        assert status == 200 and html.count(b'role="checkbox"') == args.tasks, "the page lists every task"
        return {
            "results": results,
            "reset_flood": results_flood,
            "startup_ready_s": server.ready_s,
            "peak_rss_mb": peak_rss_mb(server.pids()),
            "browser_page": browser_page,
            "signed_out": signed_out,
            "big": big_sizes(server, users["bulk"], big_tasks) if big_tasks else None,
            "html_todos": html,
            "html_pages": signed_out_pages(server),
            "lighthouse": lighthouse_pages(server, r["cookie"]) if with_lighthouse else None,
        }
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def bench_fastapi(args):
    peer = Path(args.fastapi_dir).resolve()
    if not (peer / "app" / "main.py").exists():
        raise SystemExit(f"no FastAPI peer at {peer} (use --fastapi-dir)")
    venv = ROOT / "target" / "bench" / "fastapi-venv"
    if not (venv / "bin" / "uvicorn").exists():
        print("  setting up the FastAPI peer's virtualenv (PyPI)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(peer / "requirements.txt")], check=True)
    data_dir = Path(tempfile.mkdtemp(prefix="fastapi-bench-"))
    port = free_port()
    env = dict(os.environ)
    env.update({"JWT_SECRET": "bench-shared-secret-of-some-length-0123456789", "DB": str(data_dir / "todo.db"),
                "DATABASE_URL": f"sqlite:///{data_dir}/todo.db", "PORT": str(port), "WORKERS": str(args.fastapi_workers),
                "ACCESS_LOG": "0", "BENCH_UNAUTH_ENDPOINT": "1"})
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    # run.sh expects .venv next to it; start uvicorn the same way, with our venv.
    subprocess.run([str(venv / "bin" / "python"), "-c", "from app.db import init_db; init_db()"], cwd=peer, env=env, check=True)
    cmd = [str(venv / "bin" / "uvicorn"), "app.main:app", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(args.fastapi_workers), "--no-access-log", "--log-level", "warning"]
    server = Server(cmd, env, peer, "/api/health", port)
    try:
        users = {}
        for who in ("reader", "writer"):
            http = Http(server.base)
            status, body, _ = http.request("POST", "/api/auth/signup", {"email": f"{who}@example.com", "password": PASSWORD, "name": who.title()})
            assert status == 201, (status, body)
            status, body, _ = http.request("POST", "/api/auth/login", {"email": f"{who}@example.com", "password": PASSWORD})
            token = json.loads(body)["access_token"]
            status, body, _ = http.request("GET", "/api/me", headers={"Authorization": f"Bearer {token}"})
            users[who] = {"http": http, "token": token, "id": json.loads(body)["id"]}
        r, w = users["reader"], users["writer"]
        for i in range(args.tasks):
            status, _, _ = r["http"].request("POST", "/api/tasks", {"title": f"Task number {i + 1}"}, {"Authorization": f"Bearer {r['token']}"})
            assert status == 201
        base = server.base
        bearer = {"Authorization": f"Bearer {r['token']}"}
        cases = [
            {"key": "healthz", "name": "GET /api/health", "url": base + "/api/health"},
            {"key": "api_list", "name": "GET /api/tasks (Bearer)", "url": base + "/api/tasks", "headers": bearer},
            {"key": "unauth_list", "name": "GET /api/bench/tasks (no auth)", "url": f"{base}/api/bench/tasks?user_id={r['id']}"},
            {"key": "api_create", "name": "POST /api/tasks", "url": base + "/api/tasks",
             "script": lua_script("POST", json.dumps({"title": "Written by wrk"}), {"Authorization": f"Bearer {w['token']}", "Content-Type": "application/json"})},
            {"key": "api_401", "name": "GET /api/tasks, invalid token (401)", "url": base + "/api/tasks", "headers": {"Authorization": "Bearer not.a.token"}, "expect": "non-2xx"},
            {"key": "sign_in", "name": "POST /api/auth/login (bcrypt, 2 connections)", "url": base + "/api/auth/login", "connections": 2,
             "script": lua_script("POST", json.dumps({"email": "reader@example.com", "password": PASSWORD}), {"Content-Type": "application/json"})},
        ]
        results = {}
        for case in cases:
            rounds = [run_case(server.pids(), case, args.duration, args.connections) for _ in range(args.rounds)]
            results[case["key"]] = {"name": case["name"], **median_of(rounds)}
            print(f"  FastAPI: {case['name']}: {results[case['key']]['rps']:.0f} req/s", file=sys.stderr)
        mixed_rounds = [
            mixed_case(server, users, args.duration, 32, "/api/auth/login", {"email": "writer@example.com", "password": PASSWORD},
                       base + "/api/tasks", bearer)
            for _ in range(args.rounds)
        ]
        mixed = median_of(mixed_rounds)
        mixed["cpu_ms_per_req"] = float("nan")
        results["mixed"] = mixed
        return {"results": results, "startup_ready_s": server.ready_s, "peak_rss_mb": peak_rss_mb(server.pids())}
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


# What install and build write into the peer's folder (not its source), and the stamps that say
# which source the install and the build in target/bench/nextjs-peer were made from.
NEXTJS_NOT_SOURCE = {"node_modules", ".next", "data"}
NEXTJS_STAMPS = {".bench-deps", ".bench-build"}
NEXT_BIN = "node_modules/next/dist/bin/next"  # `npx next` without npx's look-ups and extra process
BROTLI_JS = ("const z=require('zlib');const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>"
             "process.stdout.write(String(z.brotliCompressSync(Buffer.concat(c),"
             "{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length)))")


def peer_source_files(src):
    """The peer's own files, relative and sorted: everything but what install and build write."""
    names = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in NEXTJS_NOT_SOURCE)
        for name in sorted(filenames):
            names.append(str((Path(dirpath) / name).relative_to(src)))
    return names


def files_hash(root, names, salt=""):
    """One hash of the files' names and contents (and `salt`): equal means nothing to redo."""
    h = hashlib.sha256(salt.encode())
    for name in names:
        h.update(name.encode() + b"\0" + hashlib.sha256((root / name).read_bytes()).digest())
    return h.hexdigest()


def read_stamp(path):
    try:
        return path.read_text().strip()
    except OSError:
        return None


def sync_peer(src, dest, names):
    """Makes dest's own files those of src, leaving node_modules, .next and data for reuse. Files
    are written user-writable whatever src's bits are (CI's copy is read-only, and a read-only copy
    could be neither updated nor removed the next time)."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():
        if entry.name in NEXTJS_NOT_SOURCE or entry.name in NEXTJS_STAMPS:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for name in names:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / name, target)
        os.chmod(target, ((src / name).stat().st_mode & 0o777) | 0o600)


def run_logged(cmd, cwd, env, log, what, timeout=1800):
    """A set-up step with its output appended to `log` (npm and node-gyp print pages of it); on
    failure, the end of the log and a stop."""
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
    if rc != 0:
        tail = Path(log).read_text(errors="replace").splitlines()[-30:]
        raise SystemExit(f"{what} failed (exit {rc}); the end of {log}:\n" + "\n".join(tail))


def nextjs_env(db_path, port):
    """The peer's settings (its README): a fresh secret, its own origin, and its benchmark switches:
    the rate limiter off (every connection comes from 127.0.0.1, one client to Better Auth) and the
    unauthenticated twin page on, as the peer's own benchmark runs it."""
    env = dict(os.environ)
    env.update({
        "NEXT_TELEMETRY_DISABLED": "1",
        "BETTER_AUTH_SECRET": secrets.token_urlsafe(32),
        "BETTER_AUTH_URL": f"http://127.0.0.1:{port}",
        "DB_PATH": str(db_path),
        "AUTH_RATE_LIMIT": "0",
        "BENCH_UNAUTH_PAGE": "1",
    })
    return env


def prepare_nextjs(src):
    """The peer installed and built under target/bench/nextjs-peer (its own folder may be
    read-only). `npm install` runs only when package.json, package-lock.json or node changed
    (better-sqlite3 compiles from source, about a minute on 2 cores), `next build` only when a
    source file did; a second run reuses both. Returns the folder and what was redone."""
    if not (src / "package.json").exists() or not (src / "app").is_dir():
        raise SystemExit(f"no Next.js peer at {src} (use --nextjs-dir)")
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (the Next.js peer needs Node 20 and npm)")
    dest = ROOT / "target" / "bench" / "nextjs-peer"
    log = ROOT / "target" / "bench" / "nextjs-peer-setup.log"
    names = peer_source_files(src)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    deps = files_hash(src, [n for n in names if n in ("package.json", "package-lock.json")], node)
    build = files_hash(src, names, deps)
    stamp_deps, stamp_build = dest / ".bench-deps", dest / ".bench-build"
    native = dest / "node_modules" / "better-sqlite3" / "build" / "Release" / "better_sqlite3.node"
    installed = read_stamp(stamp_deps) == deps and native.exists()
    built = installed and read_stamp(stamp_build) == build and (dest / ".next" / "BUILD_ID").exists()
    setup = {"dir": str(dest), "node": node, "installed": False, "built": False, "build_s": None}
    if built:
        print(f"  Next.js peer: reusing the install and build in {dest}", file=sys.stderr)
        return dest, setup
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"")
    stamp_build.unlink(missing_ok=True)  # a build cut short must not pass for a finished one
    sync_peer(src, dest, names)
    if not installed:
        stamp_deps.unlink(missing_ok=True)
        print(f"  Next.js peer: npm install in {dest} (compiles better-sqlite3; log: {log})", file=sys.stderr)
        env = dict(os.environ, npm_config_nodedir="/usr", npm_config_update_notifier="false")
        env.pop("NODE_ENV", None)  # NODE_ENV=production would skip typescript, which the build needs
        started = time.monotonic()
        run_logged(["npm", "install", "--foreground-scripts", "--no-audit", "--no-fund"], dest, env, log, "npm install")
        if not native.exists():
            raise SystemExit(f"npm install did not build better-sqlite3 ({native} is missing; see {log})")
        stamp_deps.write_text(deps)
        setup["installed"] = True
        print(f"  Next.js peer: installed in {time.monotonic() - started:.0f} s", file=sys.stderr)
    (dest / "data").mkdir(exist_ok=True)  # the build imports lib/db.ts, which opens the database
    print("  Next.js peer: next build", file=sys.stderr)
    started = time.monotonic()
    run_logged(["node", NEXT_BIN, "build"], dest, nextjs_env(dest / "data" / "build.db", 3100), log, "next build")
    setup["built"], setup["build_s"] = True, time.monotonic() - started
    stamp_build.write_text(build)
    print(f"  Next.js peer: built in {setup['build_s']:.0f} s", file=sys.stderr)
    return dest, setup


def seed_nextjs(server, db_path, tasks):
    """The peer's own seeding (its bench/seed.py): sign-up through Better Auth over HTTP, the
    session cookie from Set-Cookie, the tasks straight into its SQLite (it has no API to add one;
    its form is a Server Action). Titles and state as Seamless's, so the two pages compare."""
    body = json.dumps({"email": "reader@example.com", "password": PASSWORD, "name": "Reader"})
    status, res, headers = fetch(server.base, "/api/auth/sign-up/email", {"Content-Type": "application/json"}, "POST", body)
    assert status == 200, (status, res[:300])
    user_id = json.loads(res)["user"]["id"]
    pairs = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    cookie = "; ".join(p for p in pairs if "session_token=" in p)
    assert cookie, f"no session cookie in Set-Cookie: {pairs}"
    con = sqlite3.connect(db_path, timeout=10)
    with con:
        con.executemany("INSERT INTO todo (user_id, title, completed) VALUES (?, ?, 0)",
                        [(user_id, f"Task number {i + 1}") for i in range(tasks)])
    con.close()
    return {"id": user_id, "cookie": cookie}


def check_nextjs_page(server, user, tasks):
    """The signed-in page really lists the tasks (one <li> each), as the Seamless side checks its
    checkboxes: a page that rendered the sign-in form instead would be fast and wrong."""
    status, html, _ = fetch(server.base, "/todos", {"Cookie": user["cookie"]})
    items = html.count(b"<li>")
    assert status == 200 and items == tasks, f"Next.js /todos: {status}, {items} <li> for {tasks} tasks"
    assert tasks == 0 or f"Task number {tasks}".encode() in html, "Next.js /todos lacks the last task"
    return html


def nextjs_cases(server, user):
    """The Seamless keys for the same requests, so the two compare key by key."""
    base, cookie = server.base, {"Cookie": user["cookie"]}
    return [
        {"name": "GET /todos (session cookie)", "key": "ssr", "url": base + "/todos", "headers": cookie},
        {"name": "GET /todos (session cookie, browser headers)", "key": "ssr_browser", "url": base + "/todos",
         "headers": {**BROWSER_HEADERS, **cookie}},
        {"name": "GET /api/health", "key": "healthz", "url": base + "/api/health"},
        {"name": "GET /todos signed out (307 to /login)", "key": "ssr_signed_out", "url": base + "/todos", "expect": "3xx"},
    ]


class ScriptRefs(HTMLParser):
    """The scripts an HTML page makes a browser fetch: <script src> (noModule ones apart: modern
    browsers skip them) and <link rel=preload as=script> / <link rel=modulepreload>."""

    def __init__(self):
        super().__init__()
        self.modern, self.nomodule = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            (self.nomodule if "nomodule" in a else self.modern).append(a["src"])
        elif tag == "link" and a.get("href") and (a.get("rel") == "modulepreload" or (a.get("rel") == "preload" and a.get("as") == "script")):
            self.modern.append(a["href"])


def brotli_size(data):
    """Brotli at quality 11, as the .br files Seamless serves are made: the `brotli` CLI when
    installed, else node's zlib (`next start` itself sends only gzip)."""
    if shutil.which("brotli"):
        return len(subprocess.run(["brotli", "-c", "-q", "11"], input=data, capture_output=True, check=True).stdout)
    return int(subprocess.run(["node", "-e", BROTLI_JS], input=data, capture_output=True, check=True).stdout)


def nextjs_sizes(server, cookie):
    """The peer's side of the size table: the /_next/static/ scripts the signed-in /todos HTML
    references (what Next.js 16 no longer prints as "First Load JS"), raw and brotli, and the
    HTML itself."""
    status, html, _ = fetch(server.base, "/todos", {"Cookie": cookie})
    assert status == 200, status
    refs = ScriptRefs()
    refs.feed(html.decode())
    files = [src for src in dict.fromkeys(refs.modern) if src.startswith("/_next/static/")]
    out = {"js_raw": 0, "js_br": 0, "files": files, "nomodule_files": list(dict.fromkeys(refs.nomodule)),
           "html_todos": len(html), "html_todos_br": brotli_size(html)}
    for src in files:
        status, body, _ = fetch(server.base, src)
        assert status == 200, (src, status)
        out["js_raw"] += len(body)
        out["js_br"] += brotli_size(body)
    return out


def warm_up(case, connections, seconds=2):
    """An unrecorded wrk run before a Node.js case, as the peer's own benchmark does (and once a
    longer one on the page): V8 optimises the render path only after some thousands of requests,
    and a cold server, measured as a slow one, would flatter every ratio against it (its first
    3 s cost 14 ms CPU a page here, 6 ms after 20 s)."""
    wrk(case["url"], seconds, case.get("connections", connections), case.get("script"), case.get("headers"))


def bench_nextjs(args, peer):
    """The peer as its bench/run.sh runs it (`next start`, one process) on a fresh, migrated
    database: seeded, checked, measured with run_case like Seamless, and its sizes."""
    data_dir = Path(tempfile.mkdtemp(prefix="nextjs-bench-"))
    db_path = data_dir / "peer.db"
    port = free_port()
    env = nextjs_env(db_path, port)
    run_logged(["node", "scripts/migrate.mjs"], peer, env, ROOT / "target" / "bench" / "nextjs-peer-setup.log", "the peer's migrations", 120)
    log = ROOT / "target" / "bench" / "nextjs-peer-server.log"
    server = Server(["node", NEXT_BIN, "start", "-H", "127.0.0.1", "-p", str(port)], env, peer, "/api/health", port, log=log)
    try:
        user = seed_nextjs(server, db_path, args.tasks)
        check_nextjs_page(server, user, args.tasks)
        browser_page = check_compressed(server.base, "/todos", {**BROWSER_HEADERS, "Cookie": user["cookie"]})
        signed_out = check_redirect(server.base, "/todos")
        results = {}
        cases = nextjs_cases(server, user)
        print(f"  Next.js: warming up on the signed-in page for {args.nextjs_warmup} s", file=sys.stderr)
        warm_up(cases[0], args.connections, args.nextjs_warmup)
        for case in cases:
            warm_up(case, args.connections)
            rounds = [run_case(server.pids(), case, args.duration, args.connections) for _ in range(args.rounds)]
            results[case["key"]] = {"name": case["name"], **median_of(rounds)}
            print(f"  Next.js: {case['name']}: {results[case['key']]['rps']:.0f} req/s, {results[case['key']]['cpu_ms_per_req']:.2f} ms CPU", file=sys.stderr)
        check_nextjs_page(server, user, args.tasks)  # still the same page after the load
        version = json.loads((peer / "node_modules" / "next" / "package.json").read_text())["version"]
        return {
            "results": results,
            "startup_ready_s": server.ready_s,
            "peak_rss_mb": peak_rss_mb(server.pids()),
            "browser_page": browser_page,
            "signed_out": signed_out,
            "next_version": version,
            "sizes": nextjs_sizes(server, user["cookie"]),
        }
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def budgets(run, sizes):
    res = run["results"]
    h = res["healthz"]["rps"]
    auth_us = (res["api_list"]["cpu_ms_per_req"] - res["unauth_list"]["cpu_ms_per_req"]) * 1000.0
    wasm_js_br = (sizes["wasm_br"] or 0) + (sizes["js_br"] or 0)
    checks = [
        ("GET /api/v1/todos >= 40% of /healthz throughput", res["api_list"]["rps"] / h, 0.40, f"{100 * res['api_list']['rps'] / h:.0f}%", ">="),
        ("SSR /todos >= 25% of /healthz throughput", res["ssr"]["rps"] / h, 0.25, f"{100 * res['ssr']['rps'] / h:.0f}%", ">="),
        ("JWT verification < 20 us CPU per request (Bearer read minus unauthenticated read)", auth_us, 20.0, f"{auth_us:.1f} us" if auth_us >= 0 else f"{auth_us:.1f} us (below the noise: about 0)", "<"),
        ("p99 of the todo list during a sign-in flood < 10 ms", res["mixed"]["p99_ms"], 10.0, f"{res['mixed']['p99_ms']:.2f} ms", "<"),
        ("peak RSS over the whole benchmark < 100 MB", run["peak_rss_mb"], 100.0, f"{run['peak_rss_mb']:.1f} MB", "<"),
        ("brotli wasm + JS for /todos < 200 KB", wasm_js_br / 1024.0, 200.0, f"{wasm_js_br / 1024.0:.1f} KB", "<"),
        ("start to /readyz 200 < 500 ms (SQLite)", run["startup_ready_s"] * 1000.0, 500.0, f"{run['startup_ready_s'] * 1000.0:.0f} ms", "<"),
        ("slowest sign-in during a flood of made-up resets < 1 s", run["reset_flood"]["max_ms"], 1000.0, f"{run['reset_flood']['max_ms']:.0f} ms", "<"),
    ]
    return judge(checks)


def judge(checks):
    """(budget, value, limit, shown, op) rows as report rows; a value that could not be measured
    (nan) misses its budget."""
    ops = {">=": lambda v, lim: v >= lim, "<": lambda v, lim: v < lim, "<=": lambda v, lim: v <= lim}
    return [{"budget": name, "measured": shown, "pass": ops[op](value, limit)} for name, value, limit, shown, op in checks]


def ratio(a, b):
    return a / b if b else float("nan")


def one_in(share):
    """0.04 as "1/25": how the budgets against the peer are written."""
    return f"1/{1 / share:.0f}" if share and share == share else "n/a"


def big_budgets(run, tasks):
    """A long list must not cost much more to show than a short one (issue 13)."""
    res, n = run["results"], run["big"]["tasks"]
    big, small = res["ssr_big"]["cpu_ms_per_req"], res["ssr"]["cpu_ms_per_req"]
    x = ratio(big, small)
    return judge([
        (f"server CPU of /todos with {n:,} tasks <= 1.5x that of the {tasks}-task page", x, 1.5, f"{big:.3f} vs {small:.3f} ms ({x:.2f}x)", "<="),
    ])


def nextjs_budgets(run, sizes, peer, tasks):
    """Issue 13's budgets, against the Next.js peer of the same run where they compare (CPU, req/s,
    HTML) and in bytes where they do not (what each page makes a browser download)."""
    s, n, peer_sizes = run["results"], peer["results"], peer["sizes"]
    s_cpu, n_cpu = s["ssr_browser"]["cpu_ms_per_req"], n["ssr_browser"]["cpu_ms_per_req"]
    share = ratio(s_cpu, n_cpu)
    faster = ratio(s["ssr_browser"]["rps"], n["ssr_browser"]["rps"])
    empty = s["ssr_empty_browser"]["cpu_ms_per_req"]
    empty_share = ratio(empty, n_cpu)
    checks = [
        (f"server CPU per signed-in /todos page ({tasks} tasks, browser headers) <= 1/20 of the Next.js peer's", share, 1 / 20,
         f"{s_cpu:.3f} vs {n_cpu:.2f} ms ({one_in(share)})", "<="),
        ("req/s of that page >= 20x the Next.js peer's", faster, 20.0,
         f"{fmt(s['ssr_browser']['rps'], 0)} vs {fmt(n['ssr_browser']['rps'], 0)} ({faster:.1f}x)", ">="),
        ("server CPU per /todos page with no tasks (browser headers) <= half the budget of the page with tasks (1/40 of the peer's)",
         empty_share, 1 / 40, f"{empty:.3f} ms ({one_in(empty_share)} of {n_cpu:.2f} ms)", "<="),
    ]
    for path, page, limit in [("/todos", sizes, 56.0)] + [(path, page, 20.0) for path, page in sizes["pages"].items()]:
        kb = ((page["wasm_br"] or 0) + (page["js_br"] or 0)) / 1024.0
        checks.append((f"brotli wasm + JS for {path} <= {limit:.0f} KB", kb, limit, f"{kb:.1f} KB", "<="))
    html, peer_html = sizes["html_todos_50"], peer_sizes["html_todos"]
    checks.append((f"HTML of /todos with {tasks} tasks no larger than the Next.js peer's", html, peer_html,
                   f"{html / 1024:.1f} vs {peer_html / 1024:.1f} KB", "<="))
    return judge(checks)


def times(a, b):
    """a/b as "12.3x", for the side-by-side ratios."""
    r = ratio(a, b)
    return f"{r:,.1f}x" if r == r else "n/a"


def nextjs_section(run, sizes, peer, tasks):
    """Seamless and the Next.js peer side by side: throughput and server CPU per page, then what
    a browser downloads from each."""
    s, n, ps = run["results"], peer["results"], peer["sizes"]
    md = ["", "### Seamless and the Next.js peer", "",
          f"Same machine, same run, {tasks} tasks; Next.js {peer['next_version']} (`next start`, one process), Better Auth defaults "
          "except the rate limiter (off). Both ratios are Seamless's lead: req/s Seamless / Next.js, CPU Next.js / Seamless.", "",
          "| case | Seamless req/s | Next.js req/s | ratio | Seamless CPU ms/page | Next.js CPU ms/page | ratio |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    rows = [("/todos signed in, bare (Cookie only)", "ssr"), ("/todos signed in, browser headers", "ssr_browser"),
            ("health check", "healthz"), ("/todos signed out (redirect)", "ssr_signed_out")]
    for label, key in rows:
        a, b = s[key], n[key]
        md.append(f"| {label} | {fmt(a['rps'], 0)} | {fmt(b['rps'], 0)} | {times(a['rps'], b['rps'])} | "
                  f"{fmt(a['cpu_ms_per_req'], 3)} | {fmt(b['cpu_ms_per_req'], 3)} | {times(b['cpu_ms_per_req'], a['cpu_ms_per_req'])} |")
    md.append(f"| start to ready | {run['startup_ready_s'] * 1000:.0f} ms | {peer['startup_ready_s'] * 1000:.0f} ms | | | | |")
    md.append(f"| peak RSS | {run['peak_rss_mb']:.1f} MB | {peer['peak_rss_mb']:.1f} MB | | | | |")
    s_br, s_raw = (sizes["wasm_br"] or 0) + (sizes["js_br"] or 0), sizes["wasm_raw"] + sizes["js_raw"]
    sb, nb = run["browser_page"], peer["browser_page"]
    md += ["", "| size | Seamless | Next.js |", "|---|---:|---:|",
           f"| wasm + JS for /todos, brotli | {s_br / 1024:.1f} KB | {ps['js_br'] / 1024:.1f} KB |",
           f"| wasm + JS for /todos, raw | {s_raw / 1024:.1f} KB | {ps['js_raw'] / 1024:.1f} KB |",
           f"| HTML of /todos with {tasks} tasks, raw | {sizes['html_todos_50'] / 1024:.1f} KB | {ps['html_todos'] / 1024:.1f} KB |",
           f"| the same, as sent to a browser | {sb['bytes'] / 1024:.1f} KB ({sb['content_encoding']}) | {nb['bytes'] / 1024:.1f} KB ({nb['content_encoding']}) |",
           "",
           f"Next.js scripts of /todos ({len(ps['files'])}, brotli -11 computed here; `next start` sends gzip; "
           f"{len(ps['nomodule_files'])} noModule file(s) left out): {', '.join(ps['files'])}."]
    return md


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=5, help="seconds per case and round (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="rounds per case; medians are reported (default 3)")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    p.add_argument("--tasks", type=int, default=50, help="tasks of the reading user (default 50)")
    p.add_argument("--with-fastapi", action="store_true", help="also run the FastAPI peer and print a side-by-side table")
    p.add_argument("--fastapi-dir", default=str(ROOT.parent / "shared" / "peers" / "fastapi"))
    p.add_argument("--fastapi-workers", type=int, default=1)
    p.add_argument("--with-nextjs", action="store_true",
                   help="also run the Next.js + Better Auth peer (npm install and next build, reused under target/bench/nextjs-peer)")
    p.add_argument("--nextjs-dir", default=str(ROOT.parent / "shared" / "peers" / "nextjs"))
    p.add_argument("--with-peers", action="store_true", help="--with-fastapi and --with-nextjs")
    p.add_argument("--nextjs-warmup", type=int, default=15, help="seconds of load on the peer's page before measuring it (default 15)")
    p.add_argument("--big-tasks", type=int, default=5000, help="tasks of a third user, for the long-list cases (default 5000; 0: none)")
    p.add_argument("--lighthouse", action="store_true",
                   help="also run Lighthouse (npm lighthouse %s, installed under target/bench) on /todos and /login" % LIGHTHOUSE_VERSION)
    args = p.parse_args()
    if args.with_peers:
        args.with_fastapi = args.with_nextjs = True
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (scripts/bench installs it)")
    out_dir = ROOT / "target" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)

    # Install and build the peer first: a failure shows before minutes of measuring, and the
    # build's CPU does not overlap any measurement.
    nextjs = prepare_nextjs(Path(args.nextjs_dir).resolve()) if args.with_nextjs else None
    print(f"Seamless benchmark: {args.rounds} rounds x {args.duration} s per case, {args.connections} connections, loopback, {os.cpu_count()} cores", file=sys.stderr)
    run = bench_seamless(args, big_tasks=args.big_tasks, with_lighthouse=args.lighthouse)
    sizes = bundle_sizes(run.pop("html_todos"))
    sizes["pages"] = page_sizes(run.pop("html_pages"))
    checks = budgets(run, sizes)
    if run["big"]:
        checks += big_budgets(run, args.tasks)
    if run["lighthouse"]:
        checks += lighthouse_budgets(run["lighthouse"])
    report = {"settings": vars(args), "cores": os.cpu_count(), "seamless": run, "sizes": sizes, "budgets": checks}
    if nextjs:
        print("Next.js peer", file=sys.stderr)
        peer = bench_nextjs(args, nextjs[0])
        peer["setup"] = nextjs[1]
        checks += nextjs_budgets(run, sizes, peer, args.tasks)
        report["nextjs"] = peer

    md = [table([(r["name"], r) for r in run["results"].values()], "Seamless (release build, SQLite)"), ""]
    md.append(f"Start to `/readyz` 200: {run['startup_ready_s'] * 1000:.0f} ms. Peak RSS: {run['peak_rss_mb']:.1f} MB. "
              f"Flood throughput during the mixed case: {run['results']['mixed']['flood_rps']:.1f} sign-ins/s.")
    flood = run["reset_flood"]
    md.append("")
    md.append(f"Sign-ins during a flood of made-up password resets ({flood['flood_rps']:,.0f} resets/s, 64 connections): "
              f"{flood['sign_ins']:.0f} sign-ins, p50 {flood['p50_ms']:.0f} ms, slowest {flood['max_ms']:.0f} ms.")
    md.append("")
    md.append(f"The wasm and JS files `/todos` loads (from its HTML): {', '.join(sizes['files'])}.")
    md.append("")
    md.append("| size | raw | brotli |\n|---|---:|---:|")
    md.append(f"| wasm | {sizes['wasm_raw'] / 1024:.1f} KB | {(sizes['wasm_br'] or 0) / 1024:.1f} KB |")
    md.append(f"| JS | {sizes['js_raw'] / 1024:.1f} KB | {(sizes['js_br'] or 0) / 1024:.1f} KB |")
    md.append(f"| HTML of /todos with {args.tasks} tasks | {sizes['html_todos_50'] / 1024:.1f} KB | |")
    for path, page in sizes["pages"].items():
        md.append(f"| wasm + JS of {path} (signed out) | {(page['wasm_raw'] + page['js_raw']) / 1024:.1f} KB | "
                  f"{((page['wasm_br'] or 0) + (page['js_br'] or 0)) / 1024:.1f} KB |")
    if run["big"]:
        big = run["big"]
        md.append(f"| HTML of /todos with {big['tasks']:,} tasks ({big['rows_rendered']:,} rows rendered) | {big['html_bytes'] / 1024:.1f} KB | |")
        md.append(f"| GET /api/v1/todos?limit=50 with {big['tasks']:,} tasks ({big['api_first_page_items']:,} items) | {big['api_first_page_bytes'] / 1024:.1f} KB | |")
    if run["lighthouse"]:
        md.append("")
        md.append("| Lighthouse (mobile, simulated throttling) | performance | accessibility | best practices | TBT | LCP | audits below 1 |")
        md.append("|---|---:|---:|---:|---:|---:|---|")
        for path, r in run["lighthouse"].items():
            md.append(f"| {path} | {r['performance']} | {r['accessibility']} | {r['best_practices']} | {r['tbt_ms']:.0f} ms | "
                      f"{r['lcp_ms']:.0f} ms | {', '.join(r['failing']) or 'none'} |")
    md.append("")
    md.append("| budget | measured | |\n|---|---:|---|")
    for c in checks:
        md.append(f"| {c['budget']} | {c['measured']} | {'pass' if c['pass'] else 'MISSED'} |")
    if nextjs:
        md += nextjs_section(run, sizes, report["nextjs"], args.tasks)

    if args.with_fastapi:
        print("FastAPI peer, and Seamless again with HS256 (the peer's algorithm)", file=sys.stderr)
        peer = bench_fastapi(args)
        hs = bench_seamless(args, {"JWT_ALGORITHM": "HS256", "JWT_HS256_SECRET": "bench-shared-secret-of-some-length-0123456789"}, "Seamless (HS256)")
        report["fastapi"] = peer
        hs.pop("html_pages")
        report["seamless_hs256"] = hs
        md.append("")
        md.append(f"### Side by side (same machine, same run; FastAPI with {args.fastapi_workers} worker(s); both HS256 JWTs)")
        md.append("")
        md.append("| case | Seamless req/s | Seamless p99 ms | FastAPI req/s | FastAPI p99 ms | Seamless CPU ms/req | FastAPI CPU ms/req |")
        md.append("|---|---:|---:|---:|---:|---:|---:|")
        names = {"healthz": "health check", "api_list": "list 50 tasks (Bearer)", "unauth_list": "list 50 tasks (no auth)",
                 "api_create": "create a task", "api_401": "invalid token (401)", "sign_in": "sign in (2 connections)",
                 "mixed": "list during a sign-in flood"}
        for key, label in names.items():
            s, f = hs["results"][key], peer["results"][key]
            md.append(f"| {label} | {fmt(s['rps'], 0)} | {fmt(s['p99_ms'], 2)} | {fmt(f['rps'], 0)} | {fmt(f['p99_ms'], 2)} | {fmt(s['cpu_ms_per_req'], 3)} | {fmt(f['cpu_ms_per_req'], 3)} |")
        md.append(f"| start to ready | {hs['startup_ready_s'] * 1000:.0f} ms | | {peer['startup_ready_s'] * 1000:.0f} ms | | | |")
        md.append(f"| peak RSS | {hs['peak_rss_mb']:.1f} MB | | {peer['peak_rss_mb']:.1f} MB | | | |")

    text = "\n".join(md)
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / "results.json").write_text(json.dumps(report, indent=2, default=str))
    (out_dir / f"results-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    (out_dir / "results.md").write_text(text + "\n")
    print(f"\nwritten: {out_dir / 'results.json'}, {out_dir / 'results.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
