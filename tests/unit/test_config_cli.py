"""`pycompose config` through the command, as a user types it."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.support.commands import PYCOMPOSE
from tests.support.commands import run_in as run

APP = """\
services:
  web:
    image: nginx:1.25
    ports: ["8080:80"]
    volumes: [static:/srv]
    environment:
      GREETING: ${GREETING:-hello}
  worker:
    build: ./worker
    depends_on: [web]
    networks: [back]
  debug:
    image: busybox
    profiles: [debug]
networks:
  back:
volumes:
  static:
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.yaml").write_text(APP)
    return tmp_path


def test_config_prints_the_normalised_project(project: Path) -> None:
    result = run(project, "config", "-f", "app.yaml")
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document["name"] == project.name.lower()
    assert document["services"]["web"]["ports"] == [
        {"mode": "ingress", "protocol": "tcp", "published": "8080", "target": 80}
    ]
    assert document["services"]["web"]["environment"] == {"GREETING": "hello"}
    assert document["services"]["worker"]["build"]["context"] == str(project / "worker")
    assert "debug" not in document["services"]


def test_options_before_and_after_the_verb_are_the_same(project: Path) -> None:
    after = run(project, "config", "-f", "app.yaml", "-p", "shop", "--profile", "debug")
    before = run(project, "-f", "app.yaml", "-p", "shop", "--profile", "debug", "config")
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert "debug:" in after.stdout
    assert "name: shop" in after.stdout


def test_files_given_before_and_after_the_verb_are_merged_in_order(project: Path) -> None:
    (project / "prod.yaml").write_text("services:\n  web:\n    image: nginx:1.26\n")
    result = run(project, "-f", "app.yaml", "config", "-f", "prod.yaml", "--images")
    assert sorted(result.stdout.splitlines()) == sorted(
        [f"{project.name.lower()}-worker", "nginx:1.26"]
    )


def test_json_format(project: Path) -> None:
    result = run(project, "config", "-f", "app.yaml", "--format", "json")
    assert json.loads(result.stdout)["services"]["web"]["image"] == "nginx:1.25"


def test_listings(project: Path) -> None:
    def lines(*flags: str) -> list[str]:
        result = run(project, "-f", "app.yaml", "config", *flags)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    assert lines("--services") == ["web", "worker"]
    assert lines("--services", "--profile", "debug") == ["web", "worker", "debug"]
    assert lines("--volumes") == ["static"]
    assert sorted(lines("--networks")) == ["back", "default"]
    assert lines("--profiles") == ["debug"]


def test_hash_prints_service_and_hash(project: Path) -> None:
    result = run(project, "-f", "app.yaml", "config", "--hash", "web")
    assert re.fullmatch(r"web [0-9a-f]{64}\n", result.stdout)
    everything = run(project, "-f", "app.yaml", "config", "--hash", "*").stdout.splitlines()
    assert [line.split()[0] for line in everything] == ["web", "worker"]
    assert everything[0] + "\n" == result.stdout
    changed = run(project, "-f", "app.yaml", "config", "--hash", "web", env={"GREETING": "hi"})
    assert changed.stdout != result.stdout


def test_env_file_and_project_directory_after_the_verb(project: Path) -> None:
    (project / "custom.env").write_text("GREETING=from-env-file\n")
    (project / "elsewhere").mkdir()
    result = run(
        project,
        "config",
        "-f",
        "app.yaml",
        "--env-file",
        "custom.env",
        "--project-directory",
        "elsewhere",
    )
    document = yaml.safe_load(result.stdout)
    assert document["services"]["web"]["environment"] == {"GREETING": "from-env-file"}
    assert document["services"]["worker"]["build"]["context"] == str(
        project / "elsewhere" / "worker"
    )


def test_quiet_and_output_file(project: Path) -> None:
    quiet = run(project, "config", "-f", "app.yaml", "-q")
    assert (quiet.returncode, quiet.stdout) == (0, "")
    written = run(project, "config", "-f", "app.yaml", "-o", "out.yaml")
    assert written.stdout == ""
    assert (
        yaml.safe_load((project / "out.yaml").read_text())["services"]["web"]["image"]
        == "nginx:1.25"
    )


def test_discovery_finds_app_yaml(project: Path) -> None:
    result = run(project, "config", "--services")
    assert result.stdout.splitlines() == ["web", "worker"]


def test_an_invalid_file_exits_1_with_one_line_and_no_traceback(project: Path) -> None:
    (project / "bad.yaml").write_text(
        textwrap.dedent(
            """\
            services:
              web:
                image: nginx
                ports:
                  - "80:80:80"
            """
        )
    )
    result = run(project, "config", "-f", "bad.yaml")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        'pycompose: bad.yaml:5:9: services.web.ports[0]: "80:80:80" is not a valid port mapping '
        "(expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO])\n"
    )
    debug = run(project, "--debug", "config", "-f", "bad.yaml")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_a_typo_gets_a_suggestion(project: Path) -> None:
    (project / "typo.yaml").write_text(
        "services:\n  web:\n    image: nginx\n    enviroment: {A: '1'}\n"
    )
    result = run(project, "config", "-f", "typo.yaml")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "pycompose: typo.yaml:4:5: services.web.enviroment: unknown key 'enviroment' "
        "(did you mean 'environment'?)"
    )


def test_missing_file_and_unknown_service_exit_1(project: Path) -> None:
    missing = run(project, "config", "-f", "nope.yaml")
    assert (missing.returncode, missing.stderr) == (1, "pycompose: nope.yaml: no such file\n")
    unknown = run(project, "config", "-f", "app.yaml", "--hash", "nope")
    assert (unknown.returncode, unknown.stderr) == (1, "pycompose: no such service: nope\n")


def test_usage_errors_exit_2(project: Path) -> None:
    for args in (["config", "--format", "xml"], ["config", "--no-such-flag"], ["config", "-f"]):
        result = run(project, *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_warnings_go_to_stderr(project: Path) -> None:
    (project / "warn.yaml").write_text("services:\n  web:\n    image: 'nginx:${TAG}'\n")
    result = run(project, "config", "-f", "warn.yaml", "--services")
    assert result.returncode == 0
    assert result.stdout == "web\n"
    assert result.stderr == (
        'pycompose: warning: warn.yaml:3:12: the "TAG" variable is not set; using an empty string\n'
    )


def test_help_lists_config() -> None:
    result = subprocess.run([PYCOMPOSE, "--help"], capture_output=True, text=True, check=False)
    assert re.search(r"^\s+config\s", result.stdout, re.MULTILINE)
