"""Containers: run options, the rootfs of image layers, and the OCI bundle made from both."""
