"""The check that an engine root left nothing behind, for tests: a thin wrapper over
`runtime.residue` (the logic of `pycompose system check`).

    assert_no_residue(layout)        # fails listing every leftover, one per line
    discard_root(layout)             # after the check: the runtime root and cgroup parent go
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.residue import find_residue
from runtime.store import Layout, Store
from runtime.store.layout import DEFAULT_RUN_ROOT


def residue(layout: Layout, *, check_links: bool = True) -> list[str]:
    """Everything of the engine root `layout` still on the machine, one sentence each."""
    return [item.line for item in find_residue(Store(layout), links=check_links)]


def assert_no_residue(layout: Layout, *, check_links: bool = True) -> None:
    """Fail with the list of what the root left behind, if anything."""
    problems = residue(layout, check_links=check_links)
    assert not problems, "left behind:\n" + "\n".join(problems)


def discard_root(layout: Layout) -> None:
    """Remove what a test root keeps between commands: its runtime root and cgroup parent."""
    from tests.support.bundles import remove_cgroup_parent

    remove_cgroup_parent(layout.instance_name)
    shutil.rmtree(layout.run_root, ignore_errors=True)


def _store_is_empty(layout: Layout) -> bool:
    from runtime.residue import explanations

    known = explanations(Store(layout))
    return not known.containers and not known.networks and not known.builds


def _outliving(layout: Layout) -> list[str]:
    """What a root that goes with its test still has that outlives the root's directory:
    networks (bridges, rules, the forwarding record) and containers' live processes."""
    from runtime.containers.state import same_process

    store = Store(layout)
    found = []
    try:
        for row in store.db.query("SELECT name FROM networks"):
            found.append(f"network left in the test's root: {row['name']}")
    except sqlite3.OperationalError:
        pass  # no network table: the root never had one
    try:
        rows = store.db.query("SELECT name, monitor_pid, monitor_start FROM containers")
    except sqlite3.OperationalError:
        rows = []
    for row in rows:
        if same_process(row["monitor_pid"], row["monitor_start"]):
            found.append(f"container still running in the test's root: {row['name']}")
    return found


@pytest.fixture(autouse=True)
def no_residue_left(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[None]:
    """After the test (and its fixtures' clean-up): every engine root the test opened under
    the test run's temporary directory has no residue; one in the test's own tmp_path (which
    goes with it) has no network or running container either; an empty one's runtime root
    goes."""
    base = tmp_path_factory.getbasetemp()
    own = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    opened: dict[Path, Layout] = {}
    ensure = Layout.ensure

    default: list[Layout] = []

    def recording(layout: Layout) -> None:
        if layout.root.is_relative_to(base):
            opened[layout.root] = layout
        if layout.is_default or str(layout.run_root) == DEFAULT_RUN_ROOT:
            default.append(layout)
        ensure(layout)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Layout, "ensure", recording)
        yield
    problems = [f"the test opened the machine's default root: {layout}" for layout in default]
    for layout in opened.values():
        if not layout.root.exists():
            discard_root(layout)
            continue
        problems += residue(layout, check_links=False)
        if own is not None and layout.root.is_relative_to(own):
            problems += _outliving(layout)
        if _store_is_empty(layout):
            discard_root(layout)
    assert not problems, "left behind:\n" + "\n".join(problems)
