"""Several real `earshot serve` processes behind a real nginx, sharing one PostgreSQL and one Redis.

nginx runs as an ordinary user in a folder of its own (config, pid, logs, temp files), with the
proxy rules of deploy/nginx/earshot-proxy.conf, the file production includes: the tests check
what deployments run. Each instance is a subprocess that a test may kill with SIGKILL (a crash)
and start again on the same port.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from earshot.auth.demo import seed_demo_users
from earshot.config import Settings
from earshot.db import Database
from tests.harness import REPO, RunningServer, free_port
from tests.redis_server import RedisServer

EARSHOT = str(Path(sys.executable).with_name("earshot"))  # the venv's `earshot` command
PROXY_RULES = REPO / "deploy" / "nginx" / "earshot-proxy.conf"
SECRET_KEY = "cluster-test-secret-key-" + "s" * 40
# As deploy/nginx.conf lists each instance: passive health.
UPSTREAM_SERVER_PARAMETERS = "max_fails=3 fail_timeout=10s"
START_SECONDS = 120.0  # an instance loads its models at start; a loaded 2-core machine is slow


def find_nginx() -> str | None:
    """nginx (Debian installs it in /usr/sbin, off a normal user's PATH), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def nginx_executable() -> str:
    """nginx; skips the test without it (fails it when CI is set)."""
    found = find_nginx()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but nginx is not installed (run scripts/install-system-deps.sh)")
        pytest.skip("nginx is not installed (scripts/install-system-deps.sh installs it)")
    return found


class Instance:
    """One `earshot serve` subprocess on a fixed port; its output goes to `log_path`."""

    def __init__(self, name: str, directory: Path, env: dict[str, str]) -> None:
        self.name = name
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "earshot.log"
        self.env = {**env, "EARSHOT_PORT": str(self.port), "EARSHOT_DATA_DIR": str(directory / "data")}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            # cwd: the instance's own folder, which has no .env; only `env` configures it.
            self.process = subprocess.Popen(
                [EARSHOT, "serve"], env=self.env, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_healthy(self, timeout: float = START_SECONDS) -> None:
        """Until GET /api/health answers 200; fails with the instance's log if it exits or is too slow."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process is None or self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not become healthy; its log:\n{self.log()[-4000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no goodbye to anyone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """SIGTERM (a graceful stop: calls end, sockets close with 1001), SIGKILL if it hangs."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _unprivileged_user() -> tuple[list[str], int | None]:
    """How to run nginx as a normal user: as is, or (when the tests run as root) as `nobody`."""
    if os.geteuid() != 0:
        return [], None
    return ["runuser", "-u", "nobody", "--"], pwd.getpwnam("nobody").pw_uid


class Nginx:
    """A real nginx on a free port in front of `upstream_ports`, everything it writes in its own folder."""

    def __init__(self, executable: str, upstream_ports: list[int]) -> None:
        self.executable = executable
        self.upstream_ports = upstream_ports
        # Not under pytest's tmp_path: that is private to the user running the tests, and nginx
        # may run as another (nobody, when the tests run as root).
        self.directory = Path(tempfile.mkdtemp(prefix="earshot-nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        servers = "\n".join(
            f"        server 127.0.0.1:{port} {UPSTREAM_SERVER_PARAMETERS};" for port in self.upstream_ports
        )
        d = self.directory
        return f"""worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 4096; }}  # as deploy/nginx.conf: a socket holds two
http {{
    access_log {d}/access.log combined;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    upstream earshot {{
        least_conn;
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        include {d}/earshot-proxy.conf;
    }}
}}
"""

    def start(self) -> None:
        run_as, uid = _unprivileged_user()
        shutil.copy(PROXY_RULES, self.directory / "earshot-proxy.conf")
        (self.directory / "nginx.conf").write_text(self.config())
        if uid is not None:
            os.chmod(self.directory, 0o755)
            for path in [self.directory, *self.directory.iterdir()]:
                os.chown(path, uid, -1)
        command = [*run_as, self.executable, "-p", str(self.directory), "-c", str(self.directory / "nginx.conf")]
        # -e: the error log from the first line on (the built-in one, /var/log/nginx, is root's).
        command += ["-e", str(self.directory / "error.log"), "-g", "daemon off;"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self._accepts():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"nginx did not start; its error log:\n{self.error_log()}")
            time.sleep(0.02)

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # nginx: fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def access_log(self) -> str:
        path = self.directory / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def instance_env(database_url: str, bus_url: str) -> dict[str, str]:
    """What every instance of a test cluster shares: database, bus, key, and nginx as its proxy."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    # The suite's cheap password hashing (tests/conftest.py): the staff were seeded with it, and an
    # instance at the production cost would rehash every seeded password at each first login.
    hashing = {k: v for k, v in os.environ.items() if k.startswith("EARSHOT_PASSWORD_HASH_")}
    return {
        **inherited,
        **hashing,
        "EARSHOT_HOST": "127.0.0.1",
        "EARSHOT_DATABASE_URL": database_url,
        "EARSHOT_BUS_URL": bus_url,
        "EARSHOT_SECRET_KEY": SECRET_KEY,
        "EARSHOT_TRUSTED_PROXIES": '["127.0.0.1"]',
        "EARSHOT_LOG_LEVEL": "INFO",  # the tests read who logged in from where
        # A loaded test machine must not turn into busy answers in tests that are not about load.
        "EARSHOT_BUSY_LOOP_LAG_MS": "60000",
        "EARSHOT_ASSIST_SHED_LOOP_LAG_MS": "60000",
    }


async def create_postgres_database(admin_url: str) -> str:
    """A new, empty database on the PostgreSQL server of `admin_url`; returns its URL.

    (tests/conftest.py makes its own for in-process servers; this one is for the instances.)
    """
    import asyncpg

    name = f"earshot_cluster_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def prepare_database(database_url: str) -> None:
    """Migrate and add the demo staff once, before any instance starts (instances would race)."""
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.sessions() as session:
            await seed_demo_users(session)
            await session.commit()
    finally:
        await db.close()


@dataclass
class Cluster:
    """N instances, the nginx in front of them, and what they share."""

    database_url: str
    redis: RedisServer
    instances: list[Instance]
    nginx: Nginx
    settings: Settings = field(init=False)

    def __post_init__(self) -> None:
        # The instances' shared settings, for the test-side clients (RunningServer) and their checks.
        self.settings = Settings(
            database_url=self.database_url,
            bus_url=self.redis.url,
            secret_key=SECRET_KEY,
            trusted_proxies=["127.0.0.1"],
            _env_file=None,  # type: ignore[call-arg]
        )

    @property
    def front(self) -> RunningServer:
        """Clients through nginx, as browsers and phones reach a deployment."""
        return RunningServer(self.nginx.url, self.settings, self.database_url)

    def direct(self, index: int) -> RunningServer:
        """Clients of one instance, bypassing nginx."""
        return RunningServer(self.instances[index].url, self.settings, self.database_url)

    def restart(self, index: int) -> None:
        """Start a stopped or killed instance again on its port, and wait until it is healthy."""
        instance = self.instances[index]
        instance.start()
        instance.wait_healthy()

    def stop(self) -> None:
        self.nginx.stop()
        for instance in self.instances:
            instance.stop()


def start_cluster(
    database_url: str,
    redis: RedisServer,
    directory: Path,
    instances: int,
    env: dict[str, str] | None = None,
    nginx: str | None = None,
    start_seconds: float = START_SECONDS,
) -> Cluster:
    """Start `instances` Earshot processes (all at once) on `database_url` and `redis`, then nginx.

    `env` replaces `instance_env`'s (the load bench keeps the product's overload budgets); `nginx`
    is the executable (default: `nginx_executable()`); `start_seconds`, how long each instance may take
    to answer its health check. The database must already be prepared
    (`prepare_database`). Blocking: call it in a thread.
    """
    env = env if env is not None else instance_env(database_url, redis.url)
    started: list[Instance] = []
    for number in range(1, instances + 1):
        folder = directory / f"earshot{number}"
        folder.mkdir(parents=True, exist_ok=True)
        started.append(Instance(f"earshot{number}", folder, env))
    balancer = Nginx(nginx or nginx_executable(), [instance.port for instance in started])
    cluster = Cluster(database_url, redis, started, balancer)
    try:
        for instance in started:
            instance.start()
        for instance in started:
            instance.wait_healthy(start_seconds)
        balancer.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster

