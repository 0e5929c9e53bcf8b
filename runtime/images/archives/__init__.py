"""Image archives: `docker save` tarballs and OCI layouts in, Docker+OCI archives out, rootfs import."""
