"""A real JupyterLab server for tests, and a client of the kernel behind an open notebook."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from jupyter_client import BlockingKernelClient

from ..conftest import PYTHON
from ..helpers import free_port, port_open, wait_until


class JupyterLab:
    """``jupyter lab`` on a free loopback port with a token and its own config and runtime dirs."""

    def __init__(self, root: Path, home: Path):
        self.port, self.token = free_port(), "brownian-test-token"
        self.runtime_dir = home / "runtime"
        environment = dict(
            os.environ, JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        )
        self.log = home / "jupyterlab.log"
        self.process = subprocess.Popen(
            [PYTHON, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
             "--LabApp.news_url=",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, env=environment, cwd=root,
        )
        try:
            wait_until(lambda: self.process.poll() is None and port_open(self.port), timeout=90)
        except Exception:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernel_states(self) -> list[tuple[str, bool]] | None:
        """(execution state, has a connection) of each kernel; None while the server cannot
        list them (jupyter_server answers 500 while a kernel is still starting: KeyError
        'last_activity')."""
        try:
            kernels = self.api("kernels")
        except urllib.error.HTTPError as error:
            if error.code != 500:
                raise
            return None
        return [(kernel["execution_state"], kernel["connections"] > 0) for kernel in kernels]

    def kernel_ids(self) -> list[str]:
        return [kernel["id"] for kernel in self.api("kernels")]

    def kernel(self, kernel_id: str) -> Kernel:
        return Kernel(self.runtime_dir / f"kernel-{kernel_id}.json")

    def shut_down_kernels(self) -> None:
        for kernel_id in self.kernel_ids():
            self.api(f"kernels/{kernel_id}", method="DELETE")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Kernel:
    """Runs code in a running kernel (beside the notebook page) and returns what it printed."""

    def __init__(self, connection_file: Path):
        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=30)

    def run(self, code: str, timeout: float = 30) -> str:
        printed: list[str] = []

        def collect(message: dict) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                raise AssertionError(f"kernel error: {message['content']['evalue']}")

        reply = self.client.execute_interactive(code, output_hook=collect, timeout=timeout)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)

    def value(self, expression: str) -> object:
        """The JSON value of ``expression`` evaluated in the kernel (as a user expression of the
        execute reply, not printed: a print was once missed right after a cell re-run)."""
        reply = self.client.execute_interactive(
            "", user_expressions={"value": f"__import__('json').dumps({expression})"},
            timeout=30)
        result = reply["content"]["user_expressions"]["value"]
        assert result["status"] == "ok", result
        return json.loads(ast.literal_eval(result["data"]["text/plain"]))

    def close(self) -> None:
        self.client.stop_channels()


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
