"""The Project model: what a Compose file means once loaded, as typed, frozen data.

Units: durations are integer nanoseconds, sizes integer bytes, file modes
integers; paths on the host are absolute; every short syntax is in its long
form. Keys keep their Compose names so a dump is a Compose file.
"""

from specs.model.base import SpecModel
from specs.model.build import Build
from specs.model.deploy import (
    Deploy,
    ResourceLimits,
    ResourceReservations,
    Resources,
    RestartPolicy,
)
from specs.model.files import Config, FileReference, Secret
from specs.model.healthcheck import Healthcheck
from specs.model.mounts import BindOptions, Device, Mount, TmpfsOptions, VolumeOptions
from specs.model.networks import Ipam, IpamPool, Network, ServiceNetwork
from specs.model.options import Dependency, EnvFile, Logging, Ulimit
from specs.model.ports import Port
from specs.model.project import Project
from specs.model.service import Service
from specs.model.volumes import Volume

__all__ = [
    "BindOptions",
    "Build",
    "Config",
    "Dependency",
    "Deploy",
    "Device",
    "EnvFile",
    "FileReference",
    "Healthcheck",
    "Ipam",
    "IpamPool",
    "Logging",
    "Mount",
    "Network",
    "Port",
    "Project",
    "ResourceLimits",
    "ResourceReservations",
    "Resources",
    "RestartPolicy",
    "Secret",
    "Service",
    "ServiceNetwork",
    "SpecModel",
    "TmpfsOptions",
    "Ulimit",
    "Volume",
    "VolumeOptions",
]
