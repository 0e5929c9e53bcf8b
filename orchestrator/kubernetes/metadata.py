"""Labels and annotations: the ones pycompose puts on every object, and the user's.

Every object made for a project carries `app.kubernetes.io/managed-by: pycompose`
and `pycompose.io/project: <project>`; `down` finds what to remove with exactly
that selector. Pods and what selects them also carry `pycompose.io/service:
<pod group>`. Compose labels are free text, which Kubernetes labels are not, so
they become annotations; `x-kubernetes.labels` gives real labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.kubernetes.errors import KubernetesError

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "pycompose"
PROJECT = "pycompose.io/project"
SERVICE = "pycompose.io/service"
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def project_labels(project: str) -> dict[str, str]:
    """The labels of every object of `project`."""
    if not is_label_value(project):
        raise KubernetesError(
            f'project name "{project}" cannot be a Kubernetes label value '
            "(at most 63 letters, digits, '-', '_' or '.'); choose a shorter one with -p"
        )
    return {MANAGED_BY: MANAGER, PROJECT: project}


def project_selector(project: str) -> str:
    """The label selector that finds every object of `project` in a namespace."""
    return ",".join(f"{key}={value}" for key, value in project_labels(project).items())


def pod_selector(project: str, group: str) -> dict[str, str]:
    """The labels that select the Pods of one pod group."""
    return {PROJECT: project, SERVICE: group}


def is_qualified_name(key: str) -> bool:
    """True for a label or annotation key: `[prefix/]name`, name <= 63 characters."""
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(_NAME.match(name))


def is_label_value(value: str) -> bool:
    """True for a label value: empty, or <= 63 letters, digits, `-`, `_`, `.` inside."""
    return value == "" or (len(value) <= 63 and bool(_NAME.match(value)))


def as_annotations(
    values: Mapping[str, str], origin: str, warn: Callable[[str], None]
) -> dict[str, str]:
    """Annotations from free-form labels; keys Kubernetes refuses are left out with a warning."""
    kept: dict[str, str] = {}
    for key, value in values.items():
        if is_qualified_name(key):
            kept[key] = str(value)
        else:
            warn(f'{origin}: label "{key}" is not a valid Kubernetes annotation key; left out')
    return kept


def labels(values: Mapping[str, Any], origin: str) -> dict[str, str]:
    """Labels given for Kubernetes (`x-kubernetes.labels`), checked (KubernetesError if bad)."""
    checked: dict[str, str] = {}
    for key, value in values.items():
        text = "" if value is None else str(value)
        if not is_qualified_name(key) or not is_label_value(text):
            raise KubernetesError(f'{origin}: "{key}: {text}" is not a valid Kubernetes label')
        if key in (MANAGED_BY, PROJECT, SERVICE):
            raise KubernetesError(f'{origin}: label "{key}" is set by pycompose')
        checked[key] = text
    return checked


def object_metadata(
    name: str,
    base_labels: Mapping[str, str],
    extra_labels: Mapping[str, str] | None = None,
    extra_annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`metadata` of an object: its name, labels and (when any) annotations."""
    metadata: dict[str, Any] = {"name": name, "labels": {**base_labels, **(extra_labels or {})}}
    if extra_annotations:
        metadata["annotations"] = dict(extra_annotations)
    return metadata
