"""The embedded container engine: images, builds, rootfs, containers, networks, volumes.

This package imports neither `specs` nor `orchestrator`; a program can drive it
without any YAML.
"""
