#!/usr/bin/env python3
"""Three instances behind HAProxy, on PostgreSQL through PgBouncer 1.18 in transaction mode
(scripts/cluster.py), tested as a person and an operator would find them. Run by scripts/test.

  start-together   all instances start at the same moment: each migration applied once
  golden-path      sign up, tasks, sign out, sign in through the load balancer, the requests
                   landing on every instance
  revoke           a session signed out on one instance is refused by the others at once, and
                   a refresh token revoked on one is refused by the others
  rate-limits      failed sign-ins spread over the instances count together
  tokens-and-keys  an access token from one instance is accepted by the others, every JWKS is
                   the same; a signing key rotated instance by instance keeps every token valid
  oauth-across     a GitHub sign-in started on one instance and called back on another
  live-across      a change through one instance reaches a page listening on another
                   (LISTEN/NOTIFY on the direct connection; the time it took is printed)
  kill-one         kill -9 of one instance under writes: no acknowledged write lost, the
                   others keep serving

The last line is `cluster: N passed, N failed` (also in target/cluster/results.json).
"""

import base64
import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import Cluster  # noqa: E402
from faults import BINARY, PASSWORD, ROOT, every_task  # noqa: E402

RESULTS = []


def report(name, ok, detail):
    RESULTS.append({"name": name, "ok": ok, "detail": detail})
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


class Client:
    """A browser-like client: keeps every cookie (they are per host, not per port, as in a
    browser, so one client can talk to several instances on 127.0.0.1), follows no redirects."""

    def __init__(self, base, origin=None):
        self.base = base
        self.origin = origin or base
        self.cookies = {}
        self.served_by = []

    def request(self, method, url, form=None, json_body=None, headers=None, base=None):
        target = urllib.parse.urlsplit(url if url.startswith("http") else (base or self.base) + url)
        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers.setdefault("Origin", self.origin)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=15)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(method, path or "/", body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
        finally:
            conn.close()
        for value in res.headers.get_all("Set-Cookie") or []:
            pair = value.split(";", 1)[0]
            name, _, val = pair.partition("=")
            if "max-age=0" in value.lower() or not val:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = val
        if res.headers.get("X-Served-By"):
            self.served_by.append(res.headers["X-Served-By"])
        return res.status, data, res.headers

    def rpc(self, name, form, base=None):
        return self.request("POST", f"/rpc/{name}", form=form, headers={"Accept": "application/json"}, base=base)


def instance(cluster, n):
    return cluster.instances[n].base


def sign_up(cluster, email, base=None):
    client = Client(cluster.base)
    status, body, _ = client.rpc("signup", {"name": "Cluster Tester", "email": email, "password": PASSWORD}, base=base)
    assert status == 200, (status, body[:300])
    return client


def token(base, email, password=PASSWORD):
    status, body, headers = Client(base).request("POST", "/api/v1/auth/token",
                                                 json_body={"email": email, "password": password})
    return status, (json.loads(body) if body.startswith(b"{") else {}), headers


def bearer(access):
    return {"Authorization": f"Bearer {access}"}


def psql(cluster, sql):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.pg.port), "-U", "postgres", "-d", "postgres",
                          "-Atc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


# ---------------------------------------------------------------------------------------------

def start_together(cluster):
    migrations = len(list((ROOT / "migrations").glob("*.sql")))
    rows = psql(cluster, "select count(*), count(distinct version), bool_and(success) from _sqlx_migrations")
    expected = f"{migrations}|{migrations}|t"
    report("start-together", rows == expected,
           f"{len(cluster.instances)} instances started at once; _sqlx_migrations (rows|versions|all ok) = {rows}, "
           f"expected {expected}")


def golden_path(cluster):
    email = "golden@example.com"
    client = sign_up(cluster, email)
    titles = ["Buy milk", "Call the bank", "Write the report"]
    ids = []
    for title in titles:
        status, body, _ = client.rpc("add_todo", {"title": title})
        assert status == 200, (status, body[:300])
        ids.append(json.loads(body)["id"])
    status, body, _ = client.rpc("complete_todo", {"id": ids[0]})
    assert status == 200, (status, body[:300])
    status, page, _ = client.request("GET", "/todos")
    assert status == 200 and all(t.encode() in page for t in titles), (status, page[:300])
    status, body, _ = client.rpc("logout", {})
    assert status == 200, (status, body[:300])
    status, _, headers = client.request("GET", "/todos")
    assert status in (302, 303) and headers["Location"].startswith("/login"), (status, headers.get("Location"))
    status, body, _ = client.rpc("login", {"email": email, "password": PASSWORD})
    assert status == 200, (status, body[:300])
    status, page, _ = client.request("GET", "/todos?filter=completed")
    ok = status == 200 and b"Buy milk" in page and b"Call the bank" not in page
    spread = sorted(set(client.served_by))
    report("golden-path", ok and len(spread) == len(cluster.instances),
           f"{len(client.served_by)} requests through HAProxy answered by {', '.join(spread)}; "
           f"after signing in again, the completed task is the one completed: {ok}")


def revoke(cluster):
    email = "revoke@example.com"
    client = sign_up(cluster, email, base=instance(cluster, 0))
    seen = [client.request("GET", "/todos", base=instance(cluster, n))[0] for n in range(len(cluster.instances))]
    status, _, _ = client.rpc("logout", {}, base=instance(cluster, 0))
    assert status == 200
    after = [client_get_location(client, cluster, n) for n in range(1, len(cluster.instances))]
    pages_ok = seen == [200] * len(cluster.instances) and all(s in (302, 303) and loc.startswith("/login")
                                                              for s, loc in after)
    # The API: a refresh token revoked (logout) on one instance is refused by another.
    _, tokens, _ = token(instance(cluster, 0), email)
    status, _, _ = Client(instance(cluster, 1)).request("POST", "/api/v1/auth/logout",
                                                        json_body={"refresh_token": tokens["refresh_token"]})
    refused, _, _ = Client(instance(cluster, 2)).request("POST", "/api/v1/auth/refresh",
                                                         json_body={"refresh_token": tokens["refresh_token"]})
    report("revoke", pages_ok and status == 204 and refused == 401,
           f"/todos before sign-out on s1: {seen}; after, on the others: {after}; "
           f"refresh token revoked on s2 then used on s3: {refused}")


def client_get_location(client, cluster, n):
    status, _, headers = client.request("GET", "/todos", base=instance(cluster, n))
    return status, headers.get("Location") or ""


def rate_limits(cluster):
    email = "limited@example.com"
    sign_up(cluster, email)
    statuses = []
    for attempt in range(12):
        status, _, _ = token(instance(cluster, attempt % len(cluster.instances)), email, "wrong password, surely")
        statuses.append(status)
    limit = 10  # RATE_LIMIT_SIGN_IN_ACCOUNT_IP's default: 10 failures per 15 minutes
    ok = statuses[:limit] == [401] * limit and statuses[limit:] == [429] * (len(statuses) - limit)
    report("rate-limits", ok,
           f"failed sign-ins sent to s1, s2, s3 in turn: {statuses} (the limit is {limit} per account and IP)")


def seed():
    return base64.b64encode(secrets.token_bytes(32)).decode()


def kid_of(access):
    header = access.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def jwks_kids(base):
    status, body, _ = Client(base).request("GET", "/.well-known/jwks.json")
    assert status == 200
    return sorted(k["kid"] for k in json.loads(body)["keys"])


def accepted(cluster, access):
    return [Client(instance(cluster, n)).request("GET", "/api/v1/me", headers=bearer(access))[0]
            for n in range(len(cluster.instances))]


def tokens_and_keys(cluster):
    email = "tokens@example.com"
    sign_up(cluster, email)
    n = len(cluster.instances)
    _, first, _ = token(instance(cluster, 0), email)
    jwks = [jwks_kids(instance(cluster, i)) for i in range(n)]
    same = all(j == jwks[0] for j in jwks) and kid_of(first["access_token"]) in jwks[0]
    everywhere = accepted(cluster, first["access_token"])
    problems = []
    if not same or everywhere != [200] * n:
        problems.append(f"before rotation: JWKS {jwks}, token from s1 accepted {everywhere}")

    # Rotation, instance by instance, as the README tells: first publish the new key everywhere
    # (JWT_PREVIOUS_KEYS), then sign with it everywhere, keeping the old one published.
    old, new = cluster.extra_env["JWT_SIGNING_KEY"], seed()
    tokens = [first["access_token"]]
    for step, env in (("publish", {"JWT_PREVIOUS_KEYS": new}),
                      ("sign", {"JWT_SIGNING_KEY": new, "JWT_PREVIOUS_KEYS": old})):
        for i in range(n):
            cluster.restart(i, env)
            # After each restart, every token issued so far, and one from each instance now,
            # is accepted by every instance.
            tokens += [token(instance(cluster, j), email)[1]["access_token"] for j in range(n)]
            for t in tokens:
                result = accepted(cluster, t)
                if result != [200] * n:
                    problems.append(f"{step}, s{i + 1} restarted: token with kid {kid_of(t)[:8]}… accepted {result}")
        cluster.extra_env.update(env)
    kids = {kid_of(t) for t in tokens}
    report("tokens-and-keys", not problems and len(kids) == 2,
           "; ".join(problems[:3]) or
           f"{len(tokens)} tokens signed by {len(kids)} keys over a rolling rotation (6 restarts): "
           f"each accepted by all {n} instances at every step; JWKS now {jwks_kids(instance(cluster, 0))}")


def oauth_across(cluster):
    if not cluster.standin_base:
        report("oauth-across", False, "the OAuth stand-in (target/debug/examples/oauth_standin) is missing: "
                                      "cargo test builds it")
        return
    client = Client(cluster.base)
    status, _, headers = client.request("GET", "/auth/github", base=instance(cluster, 0))
    assert status in (302, 303), status
    status, _, headers = client.request("GET", headers["Location"])
    assert status in (302, 303), status
    callback = urllib.parse.urlsplit(headers["Location"])
    assert callback.path == "/auth/github/callback", headers["Location"]
    status, _, headers = client.request("GET", f"{callback.path}?{callback.query}", base=instance(cluster, 1))
    landed = headers.get("Location") or ""
    page_status, page, _ = client.request("GET", "/todos", base=instance(cluster, 2))
    ok = status in (302, 303) and not landed.startswith("/login") and page_status == 200
    report("oauth-across", ok,
           f"started on s1, called back on s2: {status} to {landed}; /todos on s3 with that session: {page_status}")


def live_across(cluster):
    email = "live@example.com"
    client = sign_up(cluster, email)
    target = urllib.parse.urlsplit(instance(cluster, 0))
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    conn.request("GET", "/events", headers={"Cookie": cookie, "Accept": "text/event-stream"})
    res = conn.getresponse()
    assert res.status == 200, res.status
    heard = threading.Event()

    def read():
        try:
            for line in res:
                if line.startswith(b"event: tasks"):
                    heard.set()
                    return
        except OSError:
            pass
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    status, _, _ = client.rpc("add_todo", {"title": "Heard everywhere"}, base=instance(cluster, 1))
    got = heard.wait(5)
    took = time.monotonic() - started
    conn.close()
    report("live-across", status == 200 and got,
           f"a task added on s2; the page's stream on s1 told {'in %.2f s' % took if got else 'nothing within 5 s'}")


def kill_one(cluster, writers=6, before=60, after=150):
    """Writers create tasks through HAProxy; once `before` are acknowledged, s2 is killed; once
    `after` more are, the writers stop."""
    email = "kill@example.com"
    sign_up(cluster, email)
    _, tokens, _ = token(cluster.base, email)
    auth = bearer(tokens["access_token"])
    results, lock = [], threading.Condition()
    killed = [None]
    stop = threading.Event()

    def writer(w):
        client = Client(cluster.base)
        n = 0
        while not stop.is_set():
            n += 1
            try:
                status, body, _ = client.request("POST", "/api/v1/todos", json_body={"title": f"w{w} n{n}"},
                                                 headers=auth)
            except OSError as err:
                status, body = None, str(err).encode()
            with lock:
                results.append((status, json.loads(body)["id"] if status == 201 else body[:80]))
                lock.notify_all()

    def acknowledged():
        return sum(1 for status, _ in results if status == 201)
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    with lock:
        lock.wait_for(lambda: acknowledged() >= before, timeout=60)
        killed[0] = len(results)
    cluster.instances[1].kill9()
    with lock:
        lock.wait_for(lambda: acknowledged() >= before + after, timeout=60)
    stop.set()
    for t in threads:
        t.join()
    written = {ref for status, ref in results if status == 201}
    failures = [(i, status) for i, (status, _) in enumerate(results) if status != 201]
    status, present = every_task(HttpAdapter(cluster.base), auth)
    lost = written - present
    # Only requests in flight at s2 when it died may fail: at most one per writer, and none
    # among the last hundred.
    late = [i for i, _ in failures if i >= len(results) - 100]
    ok = status == 200 and not lost and len(failures) <= writers and not late and len(written) >= before + after
    report("kill-one", ok,
           f"{len(written)} writes acknowledged ({killed[0]} requests before s2 was killed), {len(lost)} of them "
           f"lost; {len(failures)} requests failed {[s for _, s in failures][:6]}, {len(late)} of them among "
           f"the last 100")


class HttpAdapter:
    """faults.every_task's client interface over Client."""

    def __init__(self, base):
        self.client = Client(base)

    def request(self, method, path, headers=None):
        return self.client.request(method, path, headers=headers)


def main():
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: build the release binary first (scripts/lib.sh build_release)")
    started = time.monotonic()
    cluster = Cluster(3, env={"JWT_SIGNING_KEY": seed()})
    try:
        cluster.start()
        for test in (start_together, golden_path, revoke, rate_limits, tokens_and_keys, oauth_across, live_across,
                     kill_one):
            try:
                test(cluster)
            except Exception as err:  # noqa: BLE001 (a failed test, reported)
                report(test.__name__.replace("_", "-"), False, f"{err!r}\n{traceback.format_exc()}")
    except Exception as err:  # noqa: BLE001
        report("cluster-start", False, f"{err!r}\n{traceback.format_exc()}")
    finally:
        logs = cluster.logs()
        cluster.stop()
    panics = [f"{name}: {line}" for name, log in logs.items() for line in log.splitlines() if "panicked" in line]
    if panics:
        report("no-panics", False, "; ".join(panics[:3]))
    failed = [r for r in RESULTS if not r["ok"]]
    if failed:
        for name, log in logs.items():
            print(f"--- {name} log (last lines) ---\n" + "\n".join(log.splitlines()[-15:]))
        print(f"--- pgbouncer log ---\n{cluster.pgbouncer.log()[-1500:] if cluster.pgbouncer else ''}")
    else:
        cluster.remove()
    out = ROOT / "target" / "cluster"
    out.mkdir(parents=True, exist_ok=True)
    passed = len(RESULTS) - len(failed)
    (out / "results.json").write_text(json.dumps({"passed": passed, "failed": len(failed), "results": RESULTS},
                                                 indent=2))
    print(f"cluster: {passed} passed, {len(failed)} failed ({time.monotonic() - started:.0f} s)", flush=True)
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
