"""The small rule sets the build relies on: Go text, durations, ports, signals, platforms,
mounts, paths, suggestions, image configs, cache keys."""

from __future__ import annotations

import pytest

from runtime.build.actions import normalize_path
from runtime.build.cache_keys import CacheInputs, base_key
from runtime.build.durations import DurationError, format_duration, parse_duration
from runtime.build.gotext import NumberError, parse_bool, parse_int, parse_uint, quote
from runtime.build.image_config import ImageConfig
from runtime.build.mounts import (
    Mount,
    MountError,
    csv_fields,
    parse_device,
    parse_mount_spec,
    resolve_mount,
)
from runtime.build.platforms import Platform, PlatformError, parse_platform
from runtime.build.ports import PortError, parse_port
from runtime.build.scope import Environment, proxy_env
from runtime.build.signals import SignalError, parse_signal
from runtime.build.suggestions import nearest

DURATIONS = [
    ("1m30s", 90_000_000_000, "1m30s"),
    ("1.5ms", 1_500_000, "1.5ms"),
    ("0", 0, "0s"),
    ("-5s", -5_000_000_000, "-5s"),
    ("+2h45m", 9_900_000_000_000, "2h45m0s"),
    ("1.5h", 5_400_000_000_000, "1h30m0s"),
    ("0.5us", 500, "500ns"),
    ("2\u00b5s", 2000, "2\u00b5s"),
    ("1.000000001s", 1_000_000_001, "1.000000001s"),
]


@pytest.mark.parametrize(("text", "nanoseconds", "printed"), DURATIONS)
def test_durations(text: str, nanoseconds: int, printed: str) -> None:
    assert parse_duration(text) == nanoseconds
    assert format_duration(nanoseconds) == printed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5", 'time: missing unit in duration "5"'),
        ("5x", 'time: unknown unit "x" in duration "5x"'),
        ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
        (".s", 'time: invalid duration ".s"'),
        ("", 'time: invalid duration ""'),
    ],
)
def test_duration_errors(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=f"^{message}$"):
        parse_duration(text)


def test_go_quoting() -> None:
    assert quote('a"b\\c\x00\u00a0\u00e9\u2028') == '"a\\"b\\\\c\\x00\\u00a0\u00e9\\u2028"'
    assert quote("tab\there\x7f\U0001f600\u200b") == '"tab\\there\\x7f\U0001f600\\u200b"'


def test_go_numbers() -> None:
    assert [parse_bool(s) for s in ("1", "t", "TRUE", "False")] == [True, True, True, False]
    assert parse_int("+4", 10, 32) == 4
    assert parse_uint("0755", 8, 32) == 0o755
    for function, text, message in [
        (parse_bool, "yes", 'strconv.ParseBool: parsing "yes": invalid syntax'),
        (lambda s: parse_int(s, 10, 32), "99999999999", "value out of range"),
        (lambda s: parse_int(s, 10, 32), "0x10", "invalid syntax"),
        (lambda s: parse_uint(s, 8, 32), "8", 'strconv.ParseUint: parsing "8": invalid syntax'),
    ]:
        with pytest.raises(NumberError, match=message):
            function(text)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("spec", "keys"),
    [
        ("80", ["80/tcp"]),
        ("53/UDP", ["53/udp"]),
        ("8000-8002/tcp", ["8000/tcp", "8001/tcp", "8002/tcp"]),
        ("7-7", ["7/tcp"]),
        ("127.0.0.1:8080:80", ["80/tcp"]),
        ("[::1]:8080:80/sctp", ["80/sctp"]),
    ],
)
def test_ports(spec: str, keys: list[str]) -> None:
    assert parse_port(spec) == keys


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/tcp", 'invalid port: "/tcp": no port specified'),
        ("80/http", 'invalid port: "80/http": invalid proto: http'),
        ("70000", "invalid containerPort: 70000"),
        ("9-3", "invalid containerPort: 9-3"),
        ("x:1:80", "invalid IP address: x"),
        ("1-3:5-6", "invalid ranges specified for container and host Ports: 5-6 and 1-3"),
    ],
)
def test_port_errors(spec: str, message: str) -> None:
    with pytest.raises(PortError, match=f"^{message.replace('[', '.').replace(']', '.')}$"):
        parse_port(spec)


def test_signals() -> None:
    assert [parse_signal(s) for s in ("SIGTERM", "term", "9", "RTMIN+3", "SIGRTMAX-1")] == [
        15,
        15,
        9,
        37,
        63,
    ]
    for text in ("0", "SIGFOO", "RTMIN+16"):
        with pytest.raises(SignalError, match=f"^invalid signal: {text.replace('+', '.')}$"):
            parse_signal(text)


def test_platforms() -> None:
    default = Platform("linux", "amd64")
    assert parse_platform("linux/x86_64", default) == default
    assert parse_platform("linux/aarch64", default) == Platform("linux", "arm64")
    assert str(parse_platform("linux/arm", default)) == "linux/arm/v7"
    assert parse_platform("arm64", default) == Platform("linux", "arm64")
    assert parse_platform("windows", default) == Platform("windows", "amd64")
    with pytest.raises(PlatformError, match="unknown operating system or architecture"):
        parse_platform("linux/quantum", default)


def test_csv_fields_follow_go() -> None:
    assert csv_fields('a,"b,c",d') == ["a", "b,c", "d"]
    assert csv_fields('"say ""hi""",x') == ['say "hi"', "x"]
    with pytest.raises(MountError, match='column 3: bare " in non-quoted-field'):
        csv_fields('ab"c')
    with pytest.raises(MountError, match='extraneous or missing " in quoted-field'):
        csv_fields('"open')


def identity(word: str) -> str:
    return word


@pytest.mark.parametrize(
    ("spec", "mount"),
    [
        ("target=/x", Mount(target="/x")),
        ("type=cache,target=/c,id=go,sharing=LOCKED,uid=1,gid=2,mode=0700",
         Mount(type="cache", target="/c", read_only=False, cache_id="go", sharing="locked",
               uid=1, gid=2, mode=0o700)),
        ("type=tmpfs,dst=/t,size=1k", Mount(type="tmpfs", target="/t", read_only=False,
                                             size_limit=1024)),
        ("type=secret,id=tok,env=TOKEN,required", Mount(type="secret", cache_id="tok",
                                                         env="TOKEN", required=True)),
        ("type=bind,from=build,src=/out,target=/in,rw",
         Mount(source_stage="build", source="/out", target="/in", read_only=False)),
    ],
)  # fmt: skip
def test_mounts_resolve(spec: str, mount: Mount) -> None:
    assert resolve_mount(parse_mount_spec(spec), identity) == mount


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("type=volume", 'unsupported mount type "volume"'),
        ("type=bind,mode=0700", 'mode not allowed for "bind" type mounts'),
        ("type=cache,sharing=public", 'unsupported sharing value "public"'),
        ("type=bind,size=1m", "unexpected key 'size' for mount type 'bind'"),
        ("type=bind,required", "unexpected key 'required' for mount type 'bind'"),
        ("targt=/x", "unexpected key 'targt' in 'targt=/x' (did you mean target?)"),
        ("ro=maybe", "invalid value for ro: maybe"),
        ("bogus", "invalid field 'bogus' must be a key=value pair"),
        ("type=secret", "invalid secret mount. one of source, target required"),
        ("type=tmpfs,sharing=shared", "invalid cache sharing set for tmpfs mount"),
    ],
)
def test_mount_errors(spec: str, message: str) -> None:
    with pytest.raises(MountError) as caught:
        resolve_mount(parse_mount_spec(spec), identity)
    assert str(caught.value) == message


def test_devices() -> None:
    assert parse_device("vendor.com/gpu=all,required") == parse_device(
        "name=vendor.com/gpu=all,required=true"
    )
    with pytest.raises(MountError, match="device name already set to a"):
        parse_device("a,name=b")


@pytest.mark.parametrize(
    ("parent", "path", "keep_slash", "expected"),
    [
        ("/app", "sub", False, "/app/sub"),
        ("/app", "../x", False, "/x"),
        ("/app", "/abs/../kept", False, "/abs/../kept"),
        ("", "rel", False, "/rel"),
        ("/app", "dir/", True, "/app/dir/"),
        ("/app", "./", True, "/app/"),
        ("/", "./", True, "/"),
        ("/app", "x/.", True, "/app/x/."),
    ],
)
def test_paths_normalize_like_buildkit(
    parent: str, path: str, keep_slash: bool, expected: str
) -> None:
    assert normalize_path(parent, path, keep_slash) == expected


def test_suggestions() -> None:
    assert nearest("RUNN", ["RUN", "FROM"], case_sensitive=False) == "RUN"
    assert nearest("runn", ["RUN", "FROM"], case_sensitive=False) == "run"
    assert nearest("chwon", ["chmod", "chown"], case_sensitive=True) == "chown"
    assert nearest("zzzzz", ["RUN"], case_sensitive=False) is None
    assert nearest("RUN", ["RUN"], case_sensitive=False) is None


def test_environment_moves_a_replaced_name_last() -> None:
    env = Environment([("A", "1"), ("B", "2")])
    env.set("A", "3")
    assert env.entries() == ("B=2", "A=3")


def test_proxy_build_args_give_both_spellings() -> None:
    assert proxy_env({"https_proxy": "h", "NO_PROXY": "n", "OTHER": "x"}) == (
        "HTTPS_PROXY=h",
        "https_proxy=h",
        "NO_PROXY=n",
        "no_proxy=n",
    )


def test_image_config_round_trip() -> None:
    oci = {
        "User": "app",
        "ExposedPorts": {"80/tcp": {}},
        "Env": ["PATH=/bin", "A=1"],
        "Entrypoint": ["/init"],
        "Cmd": ["run"],
        "Volumes": {"/data": {}},
        "WorkingDir": "/srv",
        "Labels": {"k": "v"},
        "StopSignal": "SIGINT",
        "ArgsEscaped": True,
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5},
        "Shell": ["/bin/bash", "-c"],
        "OnBuild": ["RUN x"],
    }
    config = ImageConfig.from_oci(oci)
    assert config.to_oci() == oci
    assert config.with_env("A", "2").env == ("PATH=/bin", "A=2")
    assert config.shell_for(("echo", "hi")) == ("/bin/bash", "-c", "echo hi")
    assert ImageConfig.from_oci(None).to_oci() == {}


def test_cache_keys_are_stable_and_sensitive() -> None:
    inputs = CacheInputs.of("RUN", {"argv": ["sh", "-c", "make"], "env": ["A=1"]})
    assert inputs.key("p") == CacheInputs.of(
        "RUN", {"env": ["A=1"], "argv": ["sh", "-c", "make"]}
    ).key("p")
    assert inputs.key("p") != inputs.key("q")
    assert inputs.key("p").startswith("sha256:") and len(inputs.key("p")) == 71
    assert base_key("sha256:abc", "linux/amd64") != base_key("scratch", "linux/amd64")
