#!/usr/bin/env python3
"""Several Seamless instances as they are deployed to scale out: PostgreSQL, PgBouncer 1.18 in
transaction mode between the instances and it, and HAProxy in front (round-robin, no sticky
sessions), all on loopback with free ports. `scripts/cluster` starts one and keeps it up until
Ctrl-C; `scripts/cluster_test.py` (run by scripts/test) starts one per run and tests through it.

What runs, each from the machine's own packages:
- a PostgreSQL cluster of its own (initdb in a temporary directory), so stopping it disturbs
  nothing else;
- PgBouncer (`pool_mode = transaction`): the instances' DATABASE_URL, with
  DATABASE_POOLER=transaction;
- the instances (the release binary), sharing APP_SECRET, with DATABASE_DIRECT_URL straight to
  PostgreSQL for the migrations and live updates' LISTEN; all started at the same moment;
- HAProxy on APP_URL, checking each instance's /readyz, naming the one that answered in an
  `X-Served-By` response header (added here for the tests, not in deploy/haproxy.cfg).

The configuration files it writes are the ones deploy/compose.yaml mounts (deploy/pgbouncer.ini,
deploy/haproxy.cfg), with this run's addresses.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import BINARY, ROOT, Postgres, Server, free_port  # noqa: E402

DEPLOY = ROOT / "deploy"
STANDIN = ROOT / "target" / "debug" / "examples" / "oauth_standin"


def as_postgres(path):
    """PgBouncer, like initdb, refuses to run as root: its files belong to the postgres user."""
    if os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)
        return ["runuser", "-u", "postgres", "--"]
    return []


def wait_for(check, what, deadline=30.0):
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {deadline:.0f} s")


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as res:
            return res.status == 200
    except OSError:
        return False


class PgBouncer:
    """PgBouncer in transaction mode in front of `pg`, from deploy/pgbouncer.ini."""

    def __init__(self, pg, workdir):
        self.dir = Path(workdir) / "pgbouncer"
        self.dir.mkdir()
        self.port = free_port()
        (self.dir / "userlist.txt").write_text('"postgres" ""\n')
        ini = (DEPLOY / "pgbouncer.ini").read_text()
        ini = re.sub(r"(?m)^seamless = .*$", f"seamless = host=127.0.0.1 port={pg.port} dbname=postgres", ini)
        for key, value in {
            "listen_addr": "127.0.0.1",
            "listen_port": str(self.port),
            "auth_type": "trust",
            "auth_file": str(self.dir / "userlist.txt"),
            "logfile": str(self.dir / "pgbouncer.log"),
            "unix_socket_dir": "",
        }.items():
            line = f"{key} = {value}"
            # [pgbouncer] is the file's last section: a key it does not set goes at the end.
            ini, found = re.subn(rf"(?m)^{key} = .*$", line, ini)
            if not found:
                ini = ini.rstrip("\n") + f"\n{line}\n"
        (self.dir / "pgbouncer.ini").write_text(ini)
        self.prefix = as_postgres(self.dir)
        for f in self.dir.iterdir():
            as_postgres(f)
        self.proc = None
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/seamless"

    def start(self):
        self.proc = subprocess.Popen(self.prefix + ["pgbouncer", str(self.dir / "pgbouncer.ini")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: self._accepts(), "PgBouncer")

    def _accepts(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"PgBouncer exited: {self.log()[-2000:]}")
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def log(self):
        path = self.dir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


class HAProxy:
    """HAProxy round-robin over the instances, from deploy/haproxy.cfg."""

    def __init__(self, workdir, port=None):
        self.dir = Path(workdir) / "haproxy"
        self.dir.mkdir()
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def write(self, servers):
        cfg = (DEPLOY / "haproxy.cfg").read_text()
        cfg = re.sub(r"(?m)^(\s*bind ).*$", rf"\g<1>127.0.0.1:{self.port}", cfg)
        lines = [f"    server {name} 127.0.0.1:{port} check inter 500ms fall 2 rise 1"
                 for name, port in servers]
        # Which instance answered, for the tests (deploy/haproxy.cfg does not tell the public).
        lines.insert(0, "    http-response set-header X-Served-By %[srv_name]")
        cfg = re.sub(r"(?m)^\s*server .*\n", "", cfg).rstrip("\n") + "\n" + "\n".join(lines) + "\n"
        (self.dir / "haproxy.cfg").write_text(cfg)

    def start(self):
        subprocess.run(["haproxy", "-c", "-q", "-f", str(self.dir / "haproxy.cfg")], check=True)
        self.proc = subprocess.Popen(["haproxy", "-W", "-f", str(self.dir / "haproxy.cfg")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: answers(self.base + "/readyz"), "HAProxy")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


class Cluster:
    """PostgreSQL, PgBouncer, `instances` Seamless processes and HAProxy, started in that order
    and stopped in the other."""

    def __init__(self, instances=3, env=None, port=None, standin=True):
        self.workdir = Path(tempfile.mkdtemp(prefix="seamless-cluster-"))
        self.workdir.chmod(0o755)  # PgBouncer runs as postgres and reads its files in here
        self.pg = Postgres()
        self.pgbouncer = None
        self.lb = HAProxy(self.workdir, port)
        self.base = self.lb.base
        self.secret = secrets.token_urlsafe(32)
        self.extra_env = dict(env or {})
        self.count = instances
        self.instances = []
        self.standin = None
        self.standin_base = None
        self.use_standin = standin

    def instance_env(self, extra=None):
        env = {
            "APP_URL": self.base,
            "APP_ENV": "development",
            "APP_SECRET": self.secret,
            "DATABASE_URL": self.pgbouncer.url,
            "DATABASE_DIRECT_URL": self.pg.url,
            "DATABASE_POOLER": "transaction",
            "DATABASE_MAX_CONNECTIONS": "8",
            "CLIENT_IP_HEADER": "x-forwarded-for",
            "TRUSTED_PROXY_HOPS": "1",
            "RATE_LIMITS_ENABLED": "true",
            "RUST_LOG": "info",
        }
        if self.standin_base:
            env.update({
                "GITHUB_CLIENT_ID": "seamless-test-client",
                "GITHUB_CLIENT_SECRET": "stand-in-client-secret",
                "GITHUB_BASE_URL": self.standin_base,
                "GITHUB_API_URL": f"{self.standin_base}/api",
            })
        env.update(self.extra_env)
        env.update(extra or {})
        return env

    def start(self):
        self.pg.start()
        self.pgbouncer = PgBouncer(self.pg, self.workdir)
        self.pgbouncer.start()
        if self.use_standin and STANDIN.exists():
            port = free_port()
            self.standin_base = f"http://127.0.0.1:{port}"
            self.standin = subprocess.Popen([str(STANDIN)], env={**os.environ, "STANDIN_ADDR": f"127.0.0.1:{port}"},
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
            wait_for(lambda: answers(f"{self.standin_base}/google/.well-known/openid-configuration"),
                     "the OAuth stand-in")
        for n in range(self.count):
            data = self.workdir / f"s{n + 1}"
            data.mkdir()
            self.instances.append(Server(data, env=self.instance_env(), database_url=self.pgbouncer.url))
        self.lb.write([(f"s{n + 1}", s.port) for n, s in enumerate(self.instances)])
        # All at the same moment: the migrations must still run once.
        self._start_all(self.instances)
        self.lb.start()
        return self

    def _start_all(self, servers):
        import threading
        errors = []

        def start(server):
            try:
                server.start(deadline=60.0)
            except Exception as err:  # noqa: BLE001 (reported below)
                errors.append(err)
        threads = [threading.Thread(target=start, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def restart(self, index, extra_env=None):
        """Stops instance `index` (SIGTERM) and starts it again on the same port, with
        `extra_env` on top of the cluster's environment (a rolling configuration change)."""
        server = self.instances[index]
        server.stop()
        server.env.update(self.instance_env(extra_env))
        server.start(deadline=60.0)
        wait_for(lambda: self.served_by(index), f"HAProxy seeing s{index + 1} again")

    def served_by(self, index):
        """True once the load balancer has sent a request to instance `index`."""
        for _ in range(2 * len(self.instances)):
            req = urllib.request.Request(self.base + "/healthz")
            try:
                with urllib.request.urlopen(req, timeout=1) as res:
                    if res.headers.get("X-Served-By") == f"s{index + 1}":
                        return True
            except OSError:
                return False
        return False

    def stop(self):
        self.lb.stop()
        for server in self.instances:
            server.stop()
        if self.standin and self.standin.poll() is None:
            self.standin.terminate()
            self.standin.wait(timeout=10)
        if self.pgbouncer:
            self.pgbouncer.stop()
        self.pg.remove()

    def logs(self):
        return {f"s{n + 1}": s.log() for n, s in enumerate(self.instances)}

    def remove(self):
        shutil.rmtree(self.workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--port", type=int, default=8080, help="the load balancer's port (default 8080)")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: build the release binary first (scripts/lib.sh build_release)")
    cluster = Cluster(args.instances, port=args.port)
    try:
        cluster.start()
        print(f"Seamless: {cluster.base} (HAProxy) -> "
              + ", ".join(f"s{n + 1} 127.0.0.1:{s.port}" for n, s in enumerate(cluster.instances)))
        print(f"PgBouncer (transaction mode): {cluster.pgbouncer.url}; PostgreSQL: {cluster.pg.url}")
        print(f"Files and logs: {cluster.workdir}. Ctrl-C stops it all.", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()
        cluster.remove()


if __name__ == "__main__":
    main()
