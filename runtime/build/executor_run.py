"""RUN: a container from the current state, its output streamed, its upper dir the layer.

The step's root is an overlay of the state's snapshots, the runtime's init
layer (mount points for /etc/hosts, /etc/resolv.conf, /proc...) and a fresh
upper dir. The bundle comes from `build_spec` with Docker's defaults
(capabilities, seccomp, masked paths) and the step's environment, user and
working directory; the embedded runtime runs it with stdout and stderr on
one pipe, read here line by line. Whatever happens, the container is deleted
(its processes killed, its cgroup removed) before the step returns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.build.errors import BuildError, ProcessFailed
from runtime.build.executor_network import BuildNetworks
from runtime.build.steps import RunAction
from runtime.build.workspace import PREFIX, StepDirs, Workspace
from runtime.containers import bundle, rootfs
from runtime.containers.spec import ContainerSpec
from runtime.linux.cgroups import CgroupV2
from runtime.linux.securepath import makedirs_in_root
from runtime.oci import spec as oci
from runtime.oci.runtime import EmbeddedRuntime, ExitStatus
from runtime.store import Store

_READ_SIZE = 65536


def runtime_for_builds(store: Store) -> EmbeddedRuntime:
    """The embedded runtime whose state holds the build containers of this root."""
    return EmbeddedRuntime(store.layout.run_root / "build-runtime")


@dataclass
class StepRunner:
    """Runs the RUN steps of one build."""

    store: Store
    workspace: Workspace
    networks: BuildNetworks
    runtime: EmbeddedRuntime

    def run(
        self,
        action: RunAction,
        dirs: StepDirs,
        lowers: Sequence[Path],
        mounts: Sequence[oci.Mount],
        on_output: Callable[[bytes], None],
    ) -> None:
        """Run `action` on an overlay of `lowers` (lowest first); its changes land in dirs.upper.

        Raises ProcessFailed when the command does not exit 0.
        """
        if action.security == "insecure":
            raise BuildError(
                "RUN --security=insecure needs the security.insecure entitlement, "
                "which this builder does not grant"
            )
        if action.devices:
            raise BuildError("RUN --device is not supported by this builder")
        rootfs.prepare(dirs)
        merged = self.workspace.mount(dirs, [*lowers, dirs.init])
        try:
            if action.working_dir not in ("", "/"):
                makedirs_in_root(merged, action.working_dir)
            container_id = f"{PREFIX}{self.workspace.id}-{dirs.base.name[:3]}"
            network = self.networks.for_mode(action.network)
            extra = list(mounts) + self._inline_files(action, dirs)
            spec = ContainerSpec(
                name=container_id,
                image_config={"Env": [*action.env, *action.proxy_env]},
                command=action.argv,
                entrypoint=(),
                working_dir=action.working_dir or "/",
                user=action.user or None,
                hostname=network.hostname,
                network=network.namespace,
            )
            inputs = bundle.BundleInputs(
                container_id=container_id,
                rootfs=merged,
                cgroup_parent=self.store.layout.instance_name,
                mounts=tuple(extra),
                files=network.files,
                cgroup_v2=isinstance(self.runtime.cgroups, CgroupV2),
            )
            config = bundle.build_spec(spec, inputs)
            bundle.write_bundle(dirs.bundle, config)
            status = self._execute(container_id, dirs.bundle, on_output)
        finally:
            self.workspace.unmount(dirs)
        if status.code != 0:
            raise ProcessFailed(" ".join(action.argv), status)

    def _inline_files(self, action: RunAction, dirs: StepDirs) -> list[oci.Mount]:
        """Here-document scripts, bound read-only where the command expects them."""
        found = []
        for index, item in enumerate(action.files):
            dirs.files.mkdir(exist_ok=True)
            path = dirs.files / f"inline-{index}"
            path.write_text(item.data)
            os.chmod(path, item.mode)
            found.append(oci.Mount(item.path, "bind", str(path), ["bind", "ro"]))
        return found

    def _execute(
        self, container_id: str, bundle_dir: Path, on_output: Callable[[bytes], None]
    ) -> ExitStatus:
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        created = False
        try:
            try:
                self.runtime.create(container_id, bundle_dir, stdio=(null, write_end, write_end))
                created = True
            finally:
                os.close(write_end)
                os.close(null)
            self.runtime.start(container_id)
            while chunk := os.read(read_end, _READ_SIZE):
                on_output(chunk)
            return self.runtime.wait(container_id)
        finally:
            os.close(read_end)
            if created:
                self.runtime.delete(container_id, force=True)


def sweep_containers(store: Store, build_id: str) -> None:
    """A dead build's step containers: killed, their cgroups and state removed."""
    runtime = runtime_for_builds(store)
    for container_id in runtime.states.ids():
        if container_id.startswith(f"{PREFIX}{build_id}-"):
            runtime.delete(container_id, force=True)
