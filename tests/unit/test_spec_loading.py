"""Loading projects through the library API: what the orchestrator and converters rely on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pydantic
import pytest

import specs
from specs import units
from specs.errors import SpecError
from specs.model import Project


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def load(directory: Path, text: str, **options: object) -> Project:
    write(directory, "compose.yaml", text)
    options.setdefault("env", {})
    return specs.load([directory / "compose.yaml"], **options)  # type: ignore[arg-type]


def test_normalised_values_are_numbers_and_absolute_paths(tmp_path: Path) -> None:
    write(tmp_path, ".env.app", "A=1\n")
    project = load(
        tmp_path,
        """
        services:
          app:
            build: ./app
            mem_limit: 512m
            cpus: 1.5
            shm_size: 64m
            stop_grace_period: 1m30s
            healthcheck:
              test: curl -f localhost
              interval: 500ms
            volumes: ["./data:/data"]
            env_file: [.env.app]
        """,
    )
    app = project.services["app"]
    assert app.deploy.resources.limits.memory == 512 << 20
    assert app.deploy.resources.limits.cpus == 1.5
    assert app.shm_size == 64 << 20
    assert app.stop_grace_period == 90 * units.SECOND
    assert app.healthcheck is not None
    assert app.healthcheck.interval == 500 * units.MILLISECOND
    assert app.healthcheck.test == ["CMD-SHELL", "curl -f localhost"]
    assert app.build is not None
    assert app.build.context == str(tmp_path / "app")
    assert app.build.dockerfile == str(tmp_path / "app" / "Dockerfile")
    assert app.volumes[0].source == str(tmp_path / "data")
    assert app.environment == {"A": "1"}
    assert project.working_dir == str(tmp_path)
    assert project.compose_files == [str(tmp_path / "compose.yaml")]


def test_the_model_is_frozen(tmp_path: Path) -> None:
    project = load(tmp_path, "services: {app: {image: busybox}}")
    with pytest.raises(pydantic.ValidationError):
        project.services["app"].image = "other"  # type: ignore[misc]


def test_the_process_environment_is_only_what_is_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKED", "from-os")
    text = "services: {app: {image: 'busybox:${LEAKED:-default}'}}"
    assert load(tmp_path, text).services["app"].image == "busybox:default"
    assert load(tmp_path, text, env=None).services["app"].image == "busybox:from-os"


def test_project_name_precedence(tmp_path: Path) -> None:
    text = "name: From-File\nservices: {app: {image: busybox}}"
    assert load(tmp_path, text).name == "from-file"
    assert load(tmp_path, text, env={"COMPOSE_PROJECT_NAME": "from-env"}).name == "from-env"
    assert (
        load(tmp_path, text, env={"COMPOSE_PROJECT_NAME": "x"}, project_name="flag").name == "flag"
    )
    with pytest.raises(
        SpecError, match=r'invalid project name "Bad Name" \(from COMPOSE_PROJECT_NAME\)'
    ):
        load(tmp_path, text, env={"COMPOSE_PROJECT_NAME": "Bad Name"})
    directory = tmp_path / "My.Project"
    directory.mkdir()
    assert load(directory, "services: {app: {image: busybox}}").name == "myproject"


def test_the_project_name_is_a_variable(tmp_path: Path) -> None:
    project = load(
        tmp_path,
        "services: {app: {image: busybox, hostname: '${COMPOSE_PROJECT_NAME}-app'}}",
        project_name="shop",
    )
    assert project.services["app"].hostname == "shop-app"


def test_profiles_enable_services_and_keep_the_others(tmp_path: Path) -> None:
    text = """
    services:
      app: {image: busybox}
      debug: {image: busybox, profiles: [debug]}
      docs: {image: busybox, profiles: [docs]}
    """
    project = load(tmp_path, text)
    assert list(project.services) == ["app"]
    assert sorted(project.disabled_services) == ["debug", "docs"]
    assert project.all_profiles() == ["debug", "docs"]
    assert sorted(load(tmp_path, text, profiles=["debug"]).services) == ["app", "debug"]
    assert sorted(load(tmp_path, text, env={"COMPOSE_PROFILES": "docs,debug"}).services) == [
        "app",
        "debug",
        "docs",
    ]
    assert len(load(tmp_path, text, profiles=["*"]).services) == 3
    # An explicit list replaces COMPOSE_PROFILES.
    assert sorted(
        load(tmp_path, text, profiles=["docs"], env={"COMPOSE_PROFILES": "debug"}).services
    ) == ["app", "docs"]


def test_discovery_looks_in_parent_directories_and_warns_about_ambiguity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "compose.yaml", "services: {app: {image: busybox}}")
    write(tmp_path, "docker-compose.yml", "services: {other: {image: busybox}}")
    (tmp_path / "sub" / "dir").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "dir")
    project = specs.load(env={})
    assert list(project.services) == ["app"]
    assert project.working_dir == str(tmp_path)
    assert any("found several Compose files" in warning for warning in project.warnings)


def test_no_compose_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match=r"no Compose file found in .* or its parents"):
        specs.load(env={}, working_dir=tmp_path)


def test_warnings_name_where_the_unset_variable_is(tmp_path: Path) -> None:
    project = load(tmp_path, 'version: "3"\nservices:\n  app:\n    image: "busybox:${TAG}"\n')
    assert project.services["app"].image == "busybox:"
    assert project.warnings == [
        f"{tmp_path}/compose.yaml:1:10: 'version' is obsolete and ignored",
        f'{tmp_path}/compose.yaml:4:12: the "TAG" variable is not set; using an empty string',
    ]


def test_merge_rules_across_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """
        services:
          app:
            image: example/app
            command: [serve, --debug]
            environment: {A: "1", B: "1"}
            ports: ["8080:80", "9000:9000"]
            volumes: ["./a:/data", "/cache"]
            dns: [1.1.1.1]
        """,
    )
    write(
        tmp_path,
        "b.yaml",
        """
        services:
          app:
            command: [serve]
            environment: {B: "2", C: "3"}
            ports: ["8080:80", "8443:443"]
            volumes: ["./b:/data"]
            dns: [1.1.1.1, 8.8.8.8]
        """,
    )
    app = specs.load([tmp_path / "a.yaml", tmp_path / "b.yaml"], env={}).services["app"]
    assert app.command == ["serve"]
    assert app.environment == {"A": "1", "B": "2", "C": "3"}
    assert [(port.published, port.target) for port in app.ports] == [
        ("8080", 80),
        ("9000", 9000),
        ("8443", 443),
    ]
    assert [(mount.source, mount.target) for mount in app.volumes] == [
        (str(tmp_path / "b"), "/data"),
        (None, "/cache"),
    ]
    assert app.dns == ["1.1.1.1", "8.8.8.8"]


def test_reset_and_override_tags(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        "services: {app: {image: x, ports: ['80:80'], environment: {A: '1', B: '2'}}}",
    )
    write(
        tmp_path, "b.yaml", "services: {app: {ports: !reset [], environment: !override {C: '3'}}}"
    )
    app = specs.load([tmp_path / "a.yaml", tmp_path / "b.yaml"], env={}).services["app"]
    assert app.ports == []
    assert app.environment == {"C": "3"}


def test_extends_from_another_file_resolves_its_paths_there(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base/common.yaml",
        "services: {base: {image: x, volumes: ['./conf:/conf'], environment: {A: base}}}",
    )
    project = load(
        tmp_path,
        """
        services:
          app:
            extends: {file: base/common.yaml, service: base}
            environment: {B: app}
        """,
    )
    app = project.services["app"]
    assert app.volumes[0].source == str(tmp_path / "base" / "conf")
    assert app.environment == {"A": "base", "B": "app"}


def test_include_merges_local_definitions_over_included_ones(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lib/compose.yaml",
        "services: {db: {image: 'postgres:${PG:-15}', environment: {A: lib}}}",
    )
    write(tmp_path, "lib/.env", "PG=16\n")
    project = load(
        tmp_path,
        """
        include: [lib/compose.yaml]
        services:
          db:
            environment: {B: local}
        """,
    )
    assert project.services["db"].image == "postgres:16"
    assert project.services["db"].environment == {"A": "lib", "B": "local"}


def test_net_container_of_a_service_is_a_shared_namespace(tmp_path: Path) -> None:
    project = load(
        tmp_path,
        """
        services:
          web: {image: nginx}
          probe: {image: busybox, net: "container:web"}
          outside: {image: busybox, net: "container:not-a-service"}
        """,
    )
    probe = project.services["probe"]
    assert probe.network_mode == "service:web"
    assert probe.shared_namespace_owner() == "web"
    assert probe.networks == {}
    assert probe.depends_on["web"].restart is True
    assert project.services["outside"].network_mode == "container:not-a-service"
    assert project.services["outside"].shared_namespace_owner() is None


def test_helpers_for_consumers(tmp_path: Path) -> None:
    project = load(
        tmp_path,
        """
        services:
          built: {build: ., restart: "on-failure:4", deploy: {replicas: 2}}
          pulled: {image: redis}
        """,
        project_name="demo",
    )
    built = project.services["built"]
    assert built.name == "built"
    assert project.image_name(built) == "demo-built"
    assert project.image_name(project.services["pulled"]) == "redis"
    assert built.restart_policy == ("on-failure", 4)
    assert project.services["pulled"].restart_policy == ("no", None)
    assert built.replicas == 2
    assert project.networks["default"].name == "demo_default"


def test_naming_a_disabled_service_enables_it(tmp_path: Path) -> None:
    from specs.profiles import enable_services

    project = load(
        tmp_path,
        """
        services:
          app: {image: busybox}
          tool: {image: busybox, profiles: [tools], depends_on: [app]}
          report: {image: busybox, profiles: [reports], depends_on: [helper]}
          helper: {image: busybox, profiles: [helpers]}
        """,
    )
    enabled = enable_services(project, ["tool"])
    assert sorted(enabled.services) == ["app", "tool"]
    assert "tool" not in enabled.disabled_services
    assert sorted(enable_services(project, ["report", "helper"]).services) == [
        "app",
        "helper",
        "report",
    ]
    with pytest.raises(
        SpecError, match="service 'report' depends on 'helper', which is not enabled"
    ):
        enable_services(project, ["report"])
    with pytest.raises(SpecError, match="no such service: tol"):
        enable_services(project, ["tol"])


def test_specs_imports_neither_orchestrator_nor_runtime() -> None:
    import subprocess
    import sys

    code = (
        "import sys, specs, specs.rendering, specs.hashing; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('orchestrator', 'runtime')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
