"""What Compose implies but a file need not say, made explicit on the merged tree.

- a service with neither `network_mode` nor `networks` joins the `default`
  network, which exists (as `<project>_default`) when some service uses it;
- networks, volumes, configs and secrets get their real `name`:
  `<project>_<key>`, or the key itself when external;
- `build` gets its context (the project directory) and Dockerfile
  (`<context>/Dockerfile`), the Dockerfile path made absolute;
- `links`, `volumes_from` and `service:` namespaces add the `depends_on`
  entries Compose adds for them;
- `pull_policy: if_not_present` is spelt `missing`.
"""

from __future__ import annotations

import posixpath

from specs import nodes
from specs.nodes import Node
from specs.paths import is_remote

DEFAULT_NETWORK = "default"
_NAMESPACE_KEYS = ("network_mode", "ipc", "pid", "uts")


def apply_defaults(root: Node, project_name: str, project_directory: str) -> None:
    """Fill in every implied value of the merged tree, in place."""
    services = root.get("services")
    uses_default = False
    for _, service in services.items() if services is not None and services.is_mapping else ():
        if not service.is_mapping:
            continue
        uses_default |= _join_default_network(service)
        _build_defaults(service, project_directory)
        _implied_dependencies(service)
        policy = service.get("pull_policy")
        if policy is not None and policy.value == "if_not_present":
            policy.value = "missing"
    networks = root.get("networks")
    if networks is not None and networks.value is None:
        networks = None
    # A `networks` that is not a mapping is left for validation to refuse, not replaced.
    if uses_default and (networks is None or networks.get(DEFAULT_NETWORK) is None):
        if networks is None:
            networks = nodes.mapping(root.location)
            root.set("networks", networks)
        if networks.is_mapping:
            networks.set(DEFAULT_NETWORK, nodes.mapping(root.location))
    for section in ("networks", "volumes", "configs", "secrets"):
        resources = root.get(section)
        for key, resource in (
            resources.items() if resources is not None and resources.is_mapping else ()
        ):
            if resource.is_mapping and resource.get("name") is None:
                external = resource.get("external")
                is_external = external is not None and nodes.text_of(external).lower() == "true"
                name = key if is_external else f"{project_name}_{key}"
                resource.set("name", Node(name, resource.location))


def _join_default_network(service: Node) -> bool:
    """Attach the service to the default network when it names none; True if it is on it."""
    if service.get("network_mode") is not None:
        return False
    networks = service.get("networks")
    if networks is None or (networks.is_mapping and not networks.value):
        attachment = nodes.mapping(
            service.location, {DEFAULT_NETWORK: nodes.mapping(service.location)}
        )
        service.set("networks", attachment)
        return True
    return networks.is_mapping and DEFAULT_NETWORK in networks.value


def _build_defaults(service: Node, project_directory: str) -> None:
    build = service.get("build")
    if build is None or not build.is_mapping:
        return
    context = build.get("context")
    if context is None:
        context = Node(project_directory, build.location)
        build.set("context", context)
    if build.get("dockerfile_inline") is not None:
        return
    dockerfile = build.get("dockerfile")
    if dockerfile is None:
        dockerfile = Node("Dockerfile", build.location)
        build.set("dockerfile", dockerfile)
    if (
        isinstance(context.value, str)
        and isinstance(dockerfile.value, str)
        and not is_remote(context.value)
    ):
        dockerfile.value = posixpath.normpath(posixpath.join(context.value, dockerfile.value))


def _implied_dependencies(service: Node) -> None:
    implied: list[tuple[str, bool, Node]] = []
    links = service.get("links")
    for _, link in links.children() if links is not None else ():
        if isinstance(link.value, str):
            implied.append((link.value.split(":")[0], True, link))
    for key in _NAMESPACE_KEYS:
        mode = service.get(key)
        if mode is not None and isinstance(mode.value, str) and mode.value.startswith("service:"):
            implied.append((mode.value[len("service:") :], True, mode))
    volumes_from = service.get("volumes_from")
    for _, source in volumes_from.children() if volumes_from is not None else ():
        if isinstance(source.value, str) and not source.value.startswith("container:"):
            implied.append((source.value.split(":")[0], False, source))
    if not implied:
        return
    depends_on = service.get("depends_on")
    if depends_on is None:
        depends_on = nodes.mapping(service.location)
        service.set("depends_on", depends_on)
    if not depends_on.is_mapping:
        return
    for name, restart, origin in implied:
        if name and depends_on.get(name) is None:
            entry = {"condition": "service_started", "required": True, "restart": restart}
            depends_on.set(name, nodes.build(entry, origin.location))
