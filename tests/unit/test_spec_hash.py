"""The config hash changes exactly when what reaches the container changes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import specs

BASE = """
services:
  app:
    image: example/app:1.0
    env_file: app.env
    environment:
      MODE: production
    ports: ["8080:80"]
    depends_on: [db]
    configs: [settings]
    secrets: [token]
  db:
    image: postgres:16
configs:
  settings:
    file: ./settings.ini
secrets:
  token:
    environment: TOKEN
"""


def hash_of(directory: Path, text: str = BASE, env: dict[str, str] | None = None) -> str:
    (directory / "compose.yaml").write_text(textwrap.dedent(text))
    project = specs.load(
        [directory / "compose.yaml"], env=env if env is not None else {"TOKEN": "t1"}
    )
    return project.services["app"].config_hash()


def setup(directory: Path) -> str:
    (directory / "app.env").write_text("LEVEL=info\n")
    (directory / "settings.ini").write_text("a=1\n")
    return hash_of(directory)


def test_the_hash_is_stable_and_long(tmp_path: Path) -> None:
    first = setup(tmp_path)
    assert first == hash_of(tmp_path)
    assert len(first) == 64


def test_key_order_and_short_or_long_syntax_do_not_matter(tmp_path: Path) -> None:
    first = setup(tmp_path)
    reordered = BASE.replace(
        '    environment:\n      MODE: production\n    ports: ["8080:80"]\n',
        '    ports:\n      - {published: 8080, target: 80, protocol: tcp}\n    environment: ["MODE=production"]\n',
    )
    assert reordered != BASE
    assert hash_of(tmp_path, reordered) == first


def test_dependencies_profiles_and_replicas_do_not_matter(tmp_path: Path) -> None:
    first = setup(tmp_path)
    changed = BASE.replace("    depends_on: [db]\n", "    scale: 3\n    profiles: [main]\n")
    assert hash_of(tmp_path, changed, {"TOKEN": "t1", "COMPOSE_PROFILES": "main"}) == first


def test_what_reaches_the_container_matters(tmp_path: Path) -> None:
    first = setup(tmp_path)
    assert hash_of(tmp_path, BASE.replace("production", "staging")) != first
    assert hash_of(tmp_path, BASE.replace("8080:80", "8081:80")) != first
    assert hash_of(tmp_path, BASE.replace("example/app:1.0", "example/app:1.1")) != first


def test_env_file_contents_matter(tmp_path: Path) -> None:
    first = setup(tmp_path)
    (tmp_path / "app.env").write_text("LEVEL=debug\n")
    assert hash_of(tmp_path) != first
    (tmp_path / "app.env").write_text("LEVEL=info\n")
    assert hash_of(tmp_path) == first


def test_config_and_secret_contents_matter(tmp_path: Path) -> None:
    first = setup(tmp_path)
    (tmp_path / "settings.ini").write_text("a=2\n")
    assert hash_of(tmp_path) != first
    (tmp_path / "settings.ini").write_text("a=1\n")
    assert hash_of(tmp_path, env={"TOKEN": "t2"}) != first
    assert hash_of(tmp_path) == first
