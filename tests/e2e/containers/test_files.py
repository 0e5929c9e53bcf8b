"""`commit` and `cp`: what ends up in an image, and copies that cannot escape the container."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

from tests.support.containers import PYCOMPOSE, ContainerCLI


def test_commit_keeps_the_containers_files_but_not_volumes_or_hosts_edits(
    cli: ContainerCLI,
) -> None:
    cli.ok("container", "run", "-d", "--name", "maker", "-v", "/data", "-v", "named:/named",
           "busybox", "sleep", "1000")  # fmt: skip
    cli.ok("container", "exec", "maker", "sh", "-c",
           "echo made > /newfile; echo secret > /data/inside; echo kept > /named/file;"
           " echo '1.2.3.4 extra' >> /etc/hosts; echo changed > /etc/hostname; rm /bin/vi")  # fmt: skip
    image_id = cli.ok(
        "container", "commit", "-m", "a message", "-a", "someone",
        "--change", 'CMD ["cat", "/newfile"]', "--change", "ENV MODE=committed",
        "maker", "made:v1",
    ).strip()  # fmt: skip
    assert image_id.startswith("sha256:")
    assert cli.run("container", "run", "--rm", "made:v1").stdout == "made\n"
    check = (
        "ls -A /data; ls -A /named; grep -c extra /etc/hosts; cat /etc/hostname;"
        " test -e /bin/vi || echo no-vi; echo $MODE"
    )
    result = cli.run(
        "container", "run", "--rm", "--hostname", "fresh", "made:v1", "sh", "-c", check
    )
    assert result.stdout == "0\nfresh\nno-vi\ncommitted\n", result.stderr
    image = json.loads(cli.ok("image", "inspect", "made:v1"))[0]
    assert image["Author"] == "someone" and image["Config"]["Cmd"] == ["cat", "/newfile"]
    assert (
        image["Comment"] == "a message"
        or image.get("History", [{}])[-1].get("comment") == "a message"
    )
    cli.ok("container", "rm", "-f", "-v", "maker")
    cli.ok("volume", "rm", "named")
    cli.ok("image", "rm", "made:v1")


def test_cp_in_and_out_stays_inside_the_container(cli: ContainerCLI, tmp_path: Path) -> None:
    cli.ok("container", "run", "-d", "--name", "files", "busybox", "sh", "-c",
           "mkdir -p /srv/dir; echo inner > /srv/dir/a; ln -s / /srv/escape;"
           " ln -s /etc/hostname /srv/host-link; sleep 1000")  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    cli.ok("container", "cp", "files:/srv/dir", str(out))
    assert (out / "dir" / "a").read_text() == "inner\n"
    # A symlink to / inside the container resolves to the container's root, not the host's.
    cli.ok("container", "cp", "files:/srv/escape/etc/hostname", str(out / "hostname"))
    container_id = cli.inspect("files")["Id"]
    assert (out / "hostname").read_text() == container_id[:12] + "\n"
    cli.ok("container", "cp", "files:/srv/host-link", str(out / "link"))
    assert (out / "link").is_symlink() and str((out / "link").readlink()) == "/etc/hostname"
    source = tmp_path / "in.txt"
    source.write_text("from the host\n")
    host_target = Path("/tmp/pycompose-cp-escape-test")
    host_target.unlink(missing_ok=True)
    cli.ok("container", "cp", str(source), "files:/srv/escape/tmp/pycompose-cp-escape-test")
    assert not host_target.exists()
    assert (
        cli.ok("container", "exec", "files", "cat", "/tmp/pycompose-cp-escape-test")
        == "from the host\n"
    )
    cli.ok("container", "cp", str(source), "files:/srv/dir")
    assert (
        cli.ok("container", "exec", "files", "stat", "-c", "%u %n", "/srv/dir/in.txt")
        == "0 /srv/dir/in.txt\n"
    )
    tar = subprocess.run([PYCOMPOSE, "container", "cp", "files:/srv/dir", "-"], env=cli.env,
                         capture_output=True, check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        assert sorted(archive.getnames()) == ["dir", "dir/a", "dir/in.txt"]
    missing = cli.run("container", "cp", "files:/nope", str(out))
    assert missing.returncode == 1 and "Could not find the file /nope" in missing.stderr
    cli.ok("container", "stop", "-t", "0", "files")
    cli.ok("container", "cp", str(source), "files:/srv/stopped.txt")
    cli.ok("container", "cp", "files:/srv/stopped.txt", str(out / "back.txt"))
    assert (out / "back.txt").read_text() == "from the host\n"
    cli.ok("container", "rm", "files")
