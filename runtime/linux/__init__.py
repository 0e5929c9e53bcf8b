"""The only place that calls libc: namespaces, mounts, capabilities, seccomp, cgroups."""
