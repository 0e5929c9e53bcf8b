"""How Compose features map to Kubernetes objects, one feature at a time."""

from __future__ import annotations

import pytest

from orchestrator.kubernetes import KubernetesError
from orchestrator.kubernetes.containers import escape_expansion
from orchestrator.kubernetes.resources import cpu_quantity, memory_quantity
from tests.unit.kubernetes.conftest import Convert, find, pod_of


def test_services_sharing_ipc_and_pid_are_one_pod_sharing_processes(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  producer: {image: example/producer, ipc: shareable}
  consumer: {image: example/consumer, ipc: "service:producer", pid: "service:producer"}
  debugger: {image: example/debug, pid: host, ipc: host}
"""
    )
    pod = pod_of(conversion, "producer")
    assert [c["name"] for c in pod["containers"]] == ["producer", "consumer"]
    assert pod["shareProcessNamespace"] is True
    debugger = pod_of(conversion, "debugger")
    assert debugger["hostPID"] is True and debugger["hostIPC"] is True
    kinds = [doc["metadata"]["name"] for doc in conversion.documents if doc["kind"] == "Deployment"]
    assert kinds == ["debugger", "producer"]


def test_the_owner_is_the_service_whose_network_the_others_join(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  alpha: {image: example/a, network_mode: "service:zulu"}
  zulu: {image: example/z, ports: ["80"]}
"""
    )
    pod = pod_of(conversion, "zulu")
    assert [c["name"] for c in pod["containers"]] == ["zulu", "alpha"]
    assert find(conversion, "Service", "zulu")["spec"]["selector"]["pycompose.io/service"] == "zulu"


@pytest.mark.parametrize(
    ("settings", "kind", "policy", "backoff"),
    [
        ("", "Deployment", "Always", None),
        ("restart: always", "Deployment", "Always", None),
        ("restart: unless-stopped", "Deployment", "Always", None),
        ('restart: "no"', "Job", "Never", 0),
        ("restart: on-failure", "Job", "OnFailure", None),
        ("restart: on-failure:5", "Job", "OnFailure", 5),
        ("restart: always, deploy: {restart_policy: {condition: none}}", "Job", "Never", 0),
        (
            "deploy: {restart_policy: {condition: on-failure, max_attempts: 2}}",
            "Job",
            "OnFailure",
            2,
        ),
        ("deploy: {restart_policy: {condition: any}}", "Deployment", "Always", None),
    ],
)
def test_restart_policies_map_to_workload_kinds(
    convert_text: Convert, settings: str, kind: str, policy: str, backoff: int | None
) -> None:
    conversion = convert_text(f"services:\n  task: {{image: example/task, {settings}}}\n")
    workload = find(conversion, kind, "task")
    assert workload["spec"]["template"]["spec"]["restartPolicy"] == policy
    assert workload["spec"].get("backoffLimit") == backoff


def test_a_kind_asked_for_fits_the_restart_policy_with_a_warning(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  batch: {image: example/batch, x-kubernetes: {kind: Job}}
  server: {image: example/server, restart: "no", x-kubernetes: {kind: deployment}}
"""
    )
    assert pod_of(conversion, "batch")["restartPolicy"] == "OnFailure"
    assert pod_of(conversion, "server")["restartPolicy"] == "Always"
    assert any("Job's Pods cannot always restart" in w for w in conversion.warnings)
    assert any("restart policy is not carried" in w for w in conversion.warnings)


@pytest.mark.parametrize(
    ("extension", "message"),
    [
        (
            "{kinds: Job}",
            "services.web.x-kubernetes: unknown key 'kinds' (expected kind, service-type, labels, annotations)",
        ),
        (
            "{service-type: Ingress}",
            'services.web.x-kubernetes.service-type: "Ingress" is not one of ClusterIP, NodePort, LoadBalancer',
        ),
        (
            "{kind: DaemonSet}",
            'services.web.x-kubernetes.kind: "DaemonSet" is not one of Deployment, StatefulSet, Job',
        ),
        (
            "{labels: {bad label: x}}",
            'services.web.x-kubernetes: "bad label: x" is not a valid Kubernetes label',
        ),
        ("nope", "services.web.x-kubernetes: expected a mapping"),
    ],
)
def test_bad_kubernetes_settings_are_clear_errors(
    convert_text: Convert, extension: str, message: str
) -> None:
    with pytest.raises(KubernetesError) as caught:
        convert_text(f"services:\n  web: {{image: nginx, x-kubernetes: {extension}}}\n")
    assert str(caught.value) == message


def test_a_bad_volume_size_is_a_clear_error(convert_text: Convert) -> None:
    with pytest.raises(
        KubernetesError,
        match=r'volumes.data.x-kubernetes.size: "5 gigs" is not a Kubernetes quantity',
    ):
        convert_text(
            "services:\n  db: {image: postgres, volumes: [data:/d]}\n"
            "volumes:\n  data: {x-kubernetes: {size: 5 gigs}}\n"
        )


def test_bind_mounts_need_allow_hostpath(convert_text: Convert) -> None:
    text = "services:\n  web: {image: nginx, volumes: ['/srv/site:/usr/share/nginx/html:ro']}\n"
    left_out = convert_text(text)
    pod = pod_of(left_out, "web")
    assert "volumes" not in pod and "volumeMounts" not in pod["containers"][0]
    assert left_out.warnings == (
        "services.web.volumes: the bind mount of /srv/site on /usr/share/nginx/html is left out: "
        "cluster nodes do not have this machine's files (use a volume or a config, or pass "
        "--allow-hostpath to mount the node's path)",
    )
    allowed = convert_text(text, allow_hostpath=True)
    pod = pod_of(allowed, "web")
    assert pod["volumes"] == [
        {"name": "srv-site", "hostPath": {"path": "/srv/site", "type": "DirectoryOrCreate"}}
    ]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "srv-site", "mountPath": "/usr/share/nginx/html", "readOnly": True}
    ]
    assert not allowed.warnings


def test_waiting_for_a_service_with_ports_connects_to_it(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  api: {image: example/api, expose: ["9000/udp", "8000"], healthcheck: {test: [CMD, /ok]}}
  web: {image: nginx, depends_on: {api: {condition: service_healthy}}}
"""
    )
    (waiter,) = pod_of(conversion, "web")["initContainers"]
    assert waiter["name"] == "wait-for-api"
    assert waiter["image"] == "busybox:1.36"
    assert waiter["command"][:2] == ["sh", "-c"]
    assert waiter["command"][2].startswith("until nc -z -w 2 api 8000; ")


def test_the_wait_image_can_be_chosen(convert_text: Convert) -> None:
    conversion = convert_text(
        """
x-kubernetes: {wait-image: registry.example.com/busybox:1.36}
services:
  db: {image: postgres}
  web: {image: nginx, depends_on: [db]}
"""
    )
    assert (
        pod_of(conversion, "web")["initContainers"][0]["image"]
        == "registry.example.com/busybox:1.36"
    )


def test_a_completion_dependency_needed_elsewhere_runs_both_ways(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  setup: {image: example/setup, restart: "no", volumes: [seed:/seed]}
  app: {image: example/app, depends_on: {setup: {condition: service_completed_successfully}}}
  watcher: {image: example/watch, depends_on: [setup]}
volumes:
  seed:
"""
    )
    assert find(conversion, "Job", "setup")
    app = pod_of(conversion, "app")
    assert [init["name"] for init in app["initContainers"]] == ["setup"]
    assert app["volumes"] == [{"name": "seed", "persistentVolumeClaim": {"claimName": "app-seed"}}]
    assert find(conversion, "PersistentVolumeClaim", "app-seed")["spec"]["accessModes"] == [
        "ReadWriteMany"
    ]
    assert pod_of(conversion, "watcher")["initContainers"][0]["name"] == "wait-for-setup"
    assert any("runs as an init container" in warning for warning in conversion.warnings)


def test_service_types_and_node_ports(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  web: {image: nginx, ports: ["30080:80", "8443:443"], x-kubernetes: {service-type: NodePort}}
"""
    )
    spec = find(conversion, "Service", "web")["spec"]
    assert spec["type"] == "NodePort"
    assert [(p["port"], p["targetPort"], p.get("nodePort")) for p in spec["ports"]] == [
        (80, 80, None),
        (30080, 80, 30080),
        (443, 443, None),
        (8443, 443, None),
    ]
    assert conversion.warnings == (
        "services.web: published port 8443 is outside the node port range (30000-32767); "
        "the cluster picks the node port",
    )


def test_aliases_are_more_services_on_the_same_pods(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  db:
    image: postgres
    container_name: main-db
    expose: ["5432"]
    networks: {default: {aliases: [database]}}
  web: {image: nginx, links: ["db:sql"], x-kubernetes: {service-type: LoadBalancer}}
"""
    )
    main = find(conversion, "Service", "db")["spec"]
    for alias in ("database", "main-db", "sql"):
        assert find(conversion, "Service", alias)["spec"] == main
    assert "type" not in find(conversion, "Service", "sql")["spec"]


def test_names_kubernetes_refuses_are_changed_or_refused(convert_text: Convert) -> None:
    conversion = convert_text("services:\n  My_DB: {image: postgres}\n")
    assert pod_of(conversion, "my-db")["containers"][0]["name"] == "my-db"
    assert any('is named "my-db" in Kubernetes' in warning for warning in conversion.warnings)
    with pytest.raises(KubernetesError, match='would both be named "a-b"'):
        convert_text("services:\n  a_b: {image: x}\n  a-b: {image: y}\n")


def test_security_settings(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  numeric: {image: x, user: "1000:2000", read_only: true, cap_drop: [ALL], security_opt: [no-new-privileges:true]}
  named: {image: x, user: www-data, sysctls: {net.core.somaxconn: 1024}}
"""
    )
    assert pod_of(conversion, "numeric")["containers"][0]["securityContext"] == {
        "runAsUser": 1000,
        "runAsGroup": 2000,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    }
    named = pod_of(conversion, "named")
    assert "securityContext" not in named["containers"][0]
    assert named["securityContext"] == {
        "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]
    }
    assert any('"www-data" names a user' in warning for warning in conversion.warnings)


def test_commands_keep_their_dollars(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  job:
    image: x
    entrypoint: []
    command: ["sh", "-c", "echo $$(date) $$HOME"]
    environment: {PRICE: "$$(cost)"}
"""
    )
    container = pod_of(conversion, "job")["containers"][0]
    assert container["command"] == ["sh", "-c", "echo $$(date) $HOME"]
    assert "args" not in container
    assert container["env"] == [{"name": "PRICE", "value": "$$(cost)"}]


def test_escape_expansion() -> None:
    assert escape_expansion("$(A) $$ $B $") == "$$(A) $$$ $B $"
    assert escape_expansion("plain") == "plain"


def test_quantities() -> None:
    assert memory_quantity(256 * 1024 * 1024) == "256Mi"
    assert memory_quantity(3 * 1024**3) == "3Gi"
    assert memory_quantity(1000) == "1000"
    assert cpu_quantity(1.5) == "1500m"
    assert cpu_quantity(2) == "2"
    assert cpu_quantity(0.0001) == "1m"


def test_built_images_must_be_pushed(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  web: {build: ., image: registry.example.com/app/web}
  worker: {build: .}
  db: {image: postgres}
"""
    )
    assert conversion.images_to_push == ("app-worker", "registry.example.com/app/web")
    assert conversion.warnings == (
        "image app-worker is built here and names no registry, so no cluster can pull it: "
        "give it one in `image:` (registry.example.com/...) and push it",
    )


def test_a_project_name_too_long_for_a_label_is_refused(convert_text: Convert) -> None:
    with pytest.raises(KubernetesError, match="cannot be a Kubernetes label value"):
        convert_text(f"name: {'a' * 64}\nservices:\n  web: {{image: nginx}}\n", project_name=None)


def test_root_is_user_zero(convert_text: Convert) -> None:
    conversion = convert_text("services:\n  admin: {image: x, user: root}\n")
    assert pod_of(conversion, "admin")["containers"][0]["securityContext"] == {"runAsUser": 0}


def test_pod_wide_settings_merge_over_the_pod(convert_text: Convert) -> None:
    conversion = convert_text(
        """
services:
  main:
    image: x
    hostname: main-host
    platform: linux/arm64/v8
    stop_grace_period: 1m
    dns: [10.0.0.1, 10.0.0.2]
    extra_hosts: ["db:10.0.0.9"]
  helper:
    image: y
    network_mode: "service:main"
    stop_grace_period: 90s
    dns: [10.0.0.3, 10.0.0.4]
    extra_hosts: ["cache:10.0.0.9"]
"""
    )
    pod = pod_of(conversion, "main")
    assert pod["hostname"] == "main-host"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64"}
    assert pod["terminationGracePeriodSeconds"] == 90
    assert pod["dnsConfig"] == {"nameservers": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}
    assert pod["hostAliases"] == [{"ip": "10.0.0.9", "hostnames": ["db", "cache"]}]
    assert conversion.warnings == (
        "services.main.dns: a Pod takes at most 3 name servers; the first ones are kept",
    )
