"""docs/walkthrough.md, step by step, through the `pycompose` command, with its outputs checked.

One engine root for the module, with the Debian base (the cached bootstrap,
trusting this machine's CA bundle as `make up`'s does) and the flask-hello
image built once. The build's pip reaches PyPI through the machine's network
(`in_host_network`, RUN steps on `--network host`); everything else runs in
the tests' private network namespace. The doc's `exec -it` session is typed
on a pseudo-terminal.
At the end everything is removed and nothing of the root may be left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runtime.store import Store
from tests.e2e.containers.test_terminal import Terminal
from tests.support.containers import PYCOMPOSE, ContainerCLI
from tests.support.images import debian_image
from tests.support.namespaces import in_host_network
from tests.support.registry import RegistryServer
from tests.support.residue import assert_no_residue

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask-hello"
URL = "http://localhost:4000"


def fetch(url: str, timeout: float = 60) -> str:
    """The answer of `url`, once the app listens (the test polls; the engine never does)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def hello(hostname: str) -> str:
    return f"<h3>Hello World!</h3><b>Hostname:</b> {hostname}<br/>"


@dataclass
class Walk:
    """The walkthrough's engine root, its registry and the web container of `run -p 4000:80`."""

    cli: ContainerCLI
    registry: RegistryServer
    build_output: str
    web: str = ""

    def ok(self, *args: str, input: str | None = None) -> str:
        return self.cli.ok(*args, input=input)

    def said(self, *args: str) -> str:
        """All a command that must succeed printed, progress (on stderr) included."""
        result = self.cli.run(*args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return result.stdout + result.stderr

    def pid(self, name: str) -> int:
        return int(self.ok("container", "inspect", "--format", "{{ .State.Pid }}", name))


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    base = tmp_path_factory.mktemp("walkthrough")
    cli = ContainerCLI(base)
    try:
        debian_image(Store(cli.layout), name="debian:bookworm-slim", trust_host=True)
    except Exception as exc:  # no cached bootstrap and no archive to make one
        pytest.skip(f"cannot make the Debian image here: {exc}")
    context = shutil.copytree(EXAMPLE, base / "flask-hello")
    build = subprocess.run(
        in_host_network(
            [PYCOMPOSE, "image", "build", "--network", "host", "-t", "helloworld", "."]
        ),
        cwd=context,
        env=cli.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr
    registry = RegistryServer(base / "registry").start()
    made = Walk(cli, registry, build.stdout + build.stderr)
    try:
        yield made
    finally:
        registry.stop()
        cli.remove_all()
        cli.run("volume", "prune", "--all", "-f")
        assert_no_residue(cli.layout)


@pytest.fixture(scope="module")
def web(walk: Walk) -> str:
    walk.web = walk.ok("container", "run", "-d", "-p", "4000:80", "helloworld").strip()
    return walk.web


def test_build_makes_one_layer_per_step_and_env_is_empty(walk: Walk) -> None:
    assert "Successfully installed" in walk.build_output and "Flask-3" in walk.build_output
    history = walk.ok("image", "history", "--no-trunc", "helloworld").splitlines()[1:]
    steps = [line for line in history if "buildkit.dockerfile.v0" in line]
    # Newest first: the Dockerfile's steps after FROM, one entry each.
    columns = [re.split(r"\s{2,}", line) for line in steps]
    assert [c[2].split()[0] for c in columns] == [
        "CMD",
        "ENV",
        "EXPOSE",
        "ENV",
        "RUN",
        "ADD",
        "WORKDIR",
    ]
    assert {c[3] for c in columns if c[2].startswith("ENV ")} == {"0B"}
    # Below them, the bootstrapped base: the Debian tree and the CA certificates.
    assert "# CA certificates:" in history[-2] and "# mmdebstrap" in history[-1]
    listing = walk.ok("image", "ls")
    assert re.search(r"^helloworld\s+latest\s+[0-9a-f]{12}\s", listing, re.MULTILINE)


def test_run_publishes_the_app_and_its_hostname_is_the_container(walk: Walk, web: str) -> None:
    hostname = walk.ok("container", "inspect", "--format", "{{ .Config.Hostname }}", web).strip()
    assert hostname == web[:12]
    assert fetch(URL) == hello(hostname)
    [header, row] = walk.ok("container", "ps").splitlines()
    assert header.split()[:3] == ["CONTAINER", "ID", "IMAGE"]
    assert row.startswith(web[:12]) and '"python app.py"' in row
    assert "0.0.0.0:4000->80/tcp" in row


def test_the_container_has_namespaces_of_its_own(walk: Walk, web: str) -> None:
    pid = walk.pid(web)
    theirs = {name: os.readlink(f"/proc/{pid}/ns/{name}") for name in os.listdir(f"/proc/{pid}/ns")}
    ours = {name: os.readlink(f"/proc/self/ns/{name}") for name in theirs}
    for name in ("net", "uts", "ipc", "pid", "mnt", "cgroup"):
        assert theirs[name].startswith(f"{name}:[") and theirs[name] != ours[name], name
    assert theirs["user"] == ours["user"]  # no user namespace


def test_a_file_made_through_exec_goes_into_the_committed_image(walk: Walk, web: str) -> None:
    term = Terminal(walk.cli, "container", "exec", "-it", web, "/bin/sh")
    term.expect("# ")
    term.send("touch test.txt\r")
    term.expect("# ")
    assert "test.txt" in term.shell("ls").split()
    term.send("exit\r")
    assert term.wait() == 0
    walk.ok("container", "commit", web, "helloworld:v2")
    assert "test.txt" in walk.ok("container", "run", "--rm", "helloworld:v2", "ls", "/app").split()
    assert "test.txt" not in walk.ok("container", "run", "--rm", "helloworld", "ls", "/app").split()
    # The layer picture: the file is in the container's upper dir.
    driver = walk.cli.inspect(web)["GraphDriver"]["Data"]
    assert (Path(driver["UpperDir"]) / "app/test.txt").is_file()


def test_v2_goes_to_a_registry_and_comes_back(walk: Walk, web: str) -> None:
    walk.ok("container", "exec", web, "touch", "test.txt")
    if walk.cli.run("image", "inspect", "helloworld:v2").returncode != 0:
        walk.ok("container", "commit", web, "helloworld:v2")
    remote = f"{walk.registry.host}/helloworld:v2"
    walk.ok("image", "tag", "helloworld:v2", remote)
    pushed = walk.said("image", "push", remote)
    assert f"The push refers to repository [{walk.registry.host}/helloworld]" in pushed
    assert re.search(rf"pushed {re.escape(remote)}: digest: sha256:[0-9a-f]{{64}}", pushed)
    walk.ok("image", "rm", remote, "helloworld:v2")
    pulled = walk.said("image", "pull", remote)
    assert "Pull complete" in pulled and f"Downloaded newer image for {remote}" in pulled
    assert "test.txt" in walk.ok("container", "run", "--rm", remote, "ls", "/app").split()


def test_net_container_joins_the_web_containers_network(walk: Walk, web: str) -> None:
    probe = "import urllib.request; print(urllib.request.urlopen('http://localhost:80').read().decode())"
    answer = walk.ok(
        "container", "run", "--rm", "--net", f"container:{web}", "helloworld", "python", "-c", probe
    )
    assert answer.strip() == hello(web[:12])
    link = walk.ok(
        "container", "run", "--rm", "--net", f"container:{web}", "helloworld", "readlink",
        "/proc/self/ns/net",
    )  # fmt: skip
    assert link.strip() == os.readlink(f"/proc/{walk.pid(web)}/ns/net")


def test_net_host_has_the_hosts_network_and_name(walk: Walk) -> None:
    output = walk.ok(
        "container", "run", "--rm", "--net", "host", "helloworld", "sh", "-c",
        "hostname; readlink /proc/self/ns/net",
    )  # fmt: skip
    assert output.split() == [socket.gethostname(), os.readlink("/proc/self/ns/net")]


def test_an_anonymous_volume_lives_on_the_host_and_commit_leaves_it_out(walk: Walk) -> None:
    walk.ok("container", "run", "-d", "--name", "voltest", "-v", "/test", "helloworld")
    [_, row] = walk.ok("volume", "ls").splitlines()
    driver, name = row.split()
    assert driver == "local" and re.fullmatch(r"[0-9a-f]{64}", name)
    [mount] = walk.cli.inspect("voltest")["Mounts"]
    data = walk.cli.layout.root / "volumes" / name / "_data"
    assert (mount["Type"], mount["Name"], mount["Destination"]) == ("volume", name, "/test")
    assert mount["Source"] == str(data)
    walk.ok("container", "exec", "voltest", "touch", "/test/created-inside")
    assert os.listdir(data) == ["created-inside"]
    walk.ok("container", "commit", "voltest", "helloworld:vol")
    inside = walk.ok(
        "container",
        "run",
        "--rm",
        "helloworld:vol",
        "sh",
        "-c",
        "ls -A /test; test -d /test && echo dir",
    )
    assert inside == "dir\n"
    walk.ok("container", "rm", "-f", "-v", "voltest")
    walk.ok("image", "rm", "helloworld:vol")
    assert walk.ok("volume", "ls").splitlines()[1:] == []


def test_a_bind_mount_shows_the_host_directory(walk: Walk) -> None:
    listing = walk.ok(
        "container", "run", "--rm", "-v", "/home:/test", "helloworld", "ls", "-A", "/test"
    )
    assert sorted(listing.split()) == sorted(os.listdir("/home"))


def test_a_new_volume_gets_a_copy_of_the_image_content(walk: Walk) -> None:
    listing = walk.ok(
        "container", "run", "--rm", "-v", "appcode:/app", "helloworld", "ls", "-A", "/app"
    )
    expected = [".dockerignore", "Dockerfile", "app.py", "check.py", "requirements.txt"]
    assert listing.split() == expected
    [volume] = json.loads(walk.ok("volume", "inspect", "appcode"))
    assert sorted(os.listdir(volume["Mountpoint"])) == expected
    walk.ok("volume", "rm", "appcode")


def _cgroup_dir(pid: int, controller: str) -> Path:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path("/sys/fs/cgroup", controllers, path.lstrip("/"))
    raise AssertionError(f"no {controller} cgroup for {pid}")


def test_cpus_and_memory_set_the_cgroup_files_seen_from_a_cgroup_namespace(walk: Walk) -> None:
    walk.ok(
        "container", "run", "-d", "--name", "limited", "--cpus", "0.5", "-m", "256m", "helloworld"
    )
    pid = walk.pid("limited")
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():  # cgroup v2
        [line] = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        directory = Path("/sys/fs/cgroup", line.split(":", 2)[2].lstrip("/"))
        assert (directory / "memory.max").read_text() == "268435456\n"
        assert (directory / "cpu.max").read_text() == "50000 100000\n"
    else:
        memory, cpu = _cgroup_dir(pid, "memory"), _cgroup_dir(pid, "cpu")
        assert walk.cli.layout.instance_name in memory.parts
        assert (memory / "memory.limit_in_bytes").read_text() == "268435456\n"
        assert (cpu / "cpu.cfs_quota_us").read_text() == "50000\n"
        assert (cpu / "cpu.cfs_period_us").read_text() == "100000\n"
    inside = walk.ok(
        "container",
        "exec",
        "limited",
        "sh",
        "-c",
        "cat /proc/self/cgroup; readlink /proc/self/ns/cgroup",
    ).splitlines()
    # In its cgroup namespace the container's cgroups are the root of each hierarchy.
    assert all(line.endswith(":/") for line in inside[:-1]), inside
    assert (
        inside[-1] == os.readlink(f"/proc/{pid}/ns/cgroup") != os.readlink("/proc/self/ns/cgroup")
    )
    walk.ok("container", "rm", "-f", "limited")


def test_the_layers_are_the_images_then_the_init_layer_then_the_upper_dir(
    walk: Walk, web: str
) -> None:
    data = walk.cli.inspect(web)["GraphDriver"]["Data"]
    lower = data["LowerDir"].split(":")
    container_dir = walk.cli.layout.containers / web
    assert lower[0] == str(container_dir / "init")
    assert sorted(os.listdir(Path(lower[0]) / "etc")) == [
        "hostname",
        "hosts",
        "mtab",
        "resolv.conf",
    ]
    [image] = json.loads(walk.ok("image", "inspect", "helloworld"))
    assert len(lower[1:]) == len(image["RootFS"]["Layers"])
    assert all(p.startswith(str(walk.cli.layout.root / "snapshots")) for p in lower[1:])
    assert data["UpperDir"] == str(container_dir / "upper")
    mounts = subprocess.run(["mount"], capture_output=True, text=True, check=True).stdout
    [overlay] = [line for line in mounts.splitlines() if f" on {data['MergedDir']} " in line]
    assert " type overlay " in overlay and f"upperdir={data['UpperDir']}" in overlay
    assert overlay.count("lowerdir") >= 1 and lower[0] in overlay


def test_the_compose_app_and_its_checker_in_webs_network(walk: Walk) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYCOMPOSE_ROOT": str(walk.cli.layout.root),
        "PYCOMPOSE_RUN_ROOT": str(walk.cli.layout.run_root),
    }
    app = str(EXAMPLE / "app.yaml")

    def compose(*args: str) -> str:
        result = subprocess.run(
            [PYCOMPOSE, *args], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr

    if walk.web:  # the published port 4000 is the compose app's now
        walk.ok("container", "rm", "-f", walk.web)
        walk.web = ""
    try:
        compose("up", "-d", "--wait", "--wait-timeout", "90", "-f", app)
        web = walk.cli.inspect("flask-hello-web-1")
        assert fetch(URL) == hello(web["Config"]["Hostname"])
        rows = {line.split()[0]: line for line in compose("-f", app, "ps").splitlines()[1:]}
        assert '"python app.py"' in rows["flask-hello-web-1"]
        assert '"python check.py"' in rows["flask-hello-checker-1"]
        checker = walk.cli.inspect("flask-hello-checker-1")
        assert checker["State"]["Health"]["Status"] == "healthy"
        assert checker["HostConfig"]["NetworkMode"] == "container:flask-hello-web-1"
        pids = (web["State"]["Pid"], checker["State"]["Pid"])
        assert len({os.readlink(f"/proc/{pid}/ns/net") for pid in pids}) == 1
        # The checker fetches every 5 s from its start; web may not have listened yet
        # at the first one.
        answered = f"http://localhost:80/ answered: {hello(web['Config']['Hostname'])}"
        deadline = time.monotonic() + 20
        while answered not in (logs := compose("-f", app, "logs", "checker")):
            assert time.monotonic() < deadline, logs
            time.sleep(1)
    finally:
        compose("-f", app, "down", "-v")
