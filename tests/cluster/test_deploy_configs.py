"""The shipped deployment files are valid: nginx accepts both configs, and compose lists what it should."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cluster.harness import PROXY_RULES, nginx_executable
from tests.harness import REPO

DEPLOY = REPO / "deploy"


def _nginx_accepts(config: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on `config`, with the proxy rules beside it and every path it writes in `folder`."""
    shutil.copy(PROXY_RULES, folder / "earshot-proxy.conf")
    config = config.replace("/etc/nginx/earshot-proxy.conf", str(folder / "earshot-proxy.conf"))
    (folder / "nginx.conf").write_text(config)
    command = [nginx_executable(), "-t", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def test_the_production_nginx_config_is_valid(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (needed for a throwaway certificate)")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    config = (DEPLOY / "nginx.conf").read_text()
    assert "include /etc/nginx/earshot-proxy.conf;" in config
    for shipped, here in [("/etc/ssl/earshot", tmp_path), ("/run/nginx.pid", tmp_path / "nginx.pid"), ("/var/log/nginx", tmp_path)]:
        assert shipped in config
        config = config.replace(shipped, str(here))
    result = _nginx_accepts(config, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_compose_nginx_config_is_valid(tmp_path: Path) -> None:
    config = (DEPLOY / "nginx" / "compose.conf").read_text()
    # The instances' names resolve only on the compose network.
    config = config.replace("earshot1:8000", "127.0.0.1:8001").replace("earshot2:8000", "127.0.0.1:8002")
    config = config.replace("worker_processes auto;", f"worker_processes auto;\npid {tmp_path}/nginx.pid;")
    result = _nginx_accepts(config, tmp_path)
    assert result.returncode == 0, result.stderr


def test_compose_runs_two_instances_with_one_key_behind_nginx() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "earshot1", "earshot2", "nginx"} <= set(services)
    for name in ("earshot1", "earshot2"):
        env = services[name]["environment"]
        assert env["EARSHOT_BUS_URL"].startswith("redis://")
        assert env["EARSHOT_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["EARSHOT_SECRET_KEY"].startswith("${EARSHOT_SECRET_KEY:?")  # refuses to start unset
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    nginx_address = services["nginx"]["networks"]["default"]["ipv4_address"]
    assert services["earshot1"]["environment"]["EARSHOT_TRUSTED_PROXIES"] == f'["{nginx_address}"]'
    mounted = " ".join(services["nginx"]["volumes"])
    assert "./nginx/compose.conf:/etc/nginx/nginx.conf" in mounted
    assert "./nginx/earshot-proxy.conf:/etc/nginx/earshot-proxy.conf" in mounted
