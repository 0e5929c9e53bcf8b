"""The Kubernetes target: a project as Kubernetes manifests, applied to or removed from a cluster.

    from orchestrator.kubernetes import ConversionOptions, convert
    conversion = convert(project, ConversionOptions(allow_hostpath=False))
    for document in conversion.documents: ...

Services that share namespaces become one Pod (see `grouping`); the mapping of
each Compose feature is described in the module that makes it. `apply` sends
a conversion to a cluster with server-side apply and removes a project by its
labels.
"""

from orchestrator.kubernetes.context import Conversion, ConversionOptions
from orchestrator.kubernetes.conversion import convert
from orchestrator.kubernetes.errors import KubernetesError

__all__ = ["Conversion", "ConversionOptions", "KubernetesError", "convert"]
