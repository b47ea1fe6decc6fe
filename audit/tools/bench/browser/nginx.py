"""Debian's nginx in front of a Streamlit server, compressing what Streamlit sends
uncompressed: its static files (7.5 MB of JavaScript) and its HTML. The configuration is
written to a temporary folder and nginx runs in the foreground on a free loopback port.

:data:`SITE` is the part to copy into a real site's configuration (see "Serving to remote
users" in docs/performance.md); the rest only makes nginx run from a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audit.server import free_port

NGINX = "nginx"
SITE = """\
map $http_upgrade $connection_upgrade {{
    default upgrade;
    ''      close;
}}

server {{
    listen 127.0.0.1:{port};

    gzip on;
    gzip_comp_level 5;
    gzip_min_length 1024;
    gzip_proxied any;
    gzip_vary on;
    gzip_types text/css application/javascript text/javascript application/json
               image/svg+xml font/ttf font/otf application/wasm text/plain;

    location / {{
        proxy_pass http://127.0.0.1:{upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # Streamlit's data arrive over a websocket (/_stcore/stream): let it upgrade, and
        # keep it open while a page is left idle.
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_read_timeout 1d;
    }}
}}
"""
MAIN = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{
    worker_connections 512;
}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    proxy_max_temp_file_size 0;  # buffer in memory only: the folder is the owner's

{site}}}
"""


class NginxMissing(RuntimeError):
    """nginx is not installed (Debian: ``apt-get install nginx``)."""


def site_config(port: int, upstream: int) -> str:
    return SITE.format(port=port, upstream=upstream)


def write_config(folder: Path, port: int, upstream: int) -> Path:
    path = folder / "nginx.conf"
    site = "\n".join(
        f"    {line}" if line else "" for line in site_config(port, upstream).split("\n")
    )
    path.write_text(MAIN.format(folder=folder, site=site))
    return path


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def nginx_in_front_of(upstream: int) -> Iterator[int]:
    """Run nginx compressing in front of ``upstream``; yield the port it listens on."""
    if shutil.which(NGINX) is None:
        raise NginxMissing("nginx is not installed: apt-get install nginx")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="audit-nginx-") as name:
        folder = Path(name)
        config = write_config(folder, port, upstream)
        command = [NGINX, "-c", str(config), "-p", str(folder), "-e", str(folder / "error.log")]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 15
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {_stderr(process)}")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def _stderr(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.kill()
    return (process.communicate()[1] or b"").decode(errors="replace")[-1000:]
