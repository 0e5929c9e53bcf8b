"""The small languages inside Compose files: durations, sizes, ports, volumes, variables, .env."""

from __future__ import annotations

import pytest

from specs import units
from specs.dotenv import parse as parse_dotenv
from specs.errors import SpecError
from specs.interpolation import InterpolationError, substitute
from specs.syntax.mounts import parse_volume
from specs.syntax.ports import parse_expose, parse_port

S = units.SECOND


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("10s", 10 * S),
        ("1m30s", 90 * S),
        ("1.5s", 1500 * units.MILLISECOND),
        ("500ms", 500 * units.MILLISECOND),
        ("2h", 7200 * S),
        ("1h2m3s4ms5us6ns", 3723 * S + 4 * units.MILLISECOND + 5 * units.MICROSECOND + 6),
        ("-1s", -S),
    ],
)
def test_durations_parse_like_go(text: str, nanoseconds: int) -> None:
    assert units.parse_duration(text) == nanoseconds


@pytest.mark.parametrize("text", ["10", "10x", "s", "1m 30s", "", "1.s.5"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a valid duration"):
        units.parse_duration(text)


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (90 * S, "1m30s"),
        (3600 * S, "1h0m0s"),
        (1500 * units.MILLISECOND, "1.5s"),
        (500 * units.MILLISECOND, "500ms"),
        (1500, "1.5µs"),
        (7, "7ns"),
    ],
)
def test_durations_print_like_go(nanoseconds: int, text: str) -> None:
    assert units.format_duration(nanoseconds) == text
    assert units.parse_duration(text) == nanoseconds


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("100", 100),
        ("1k", 1024),
        ("512m", 512 << 20),
        ("512MB", 512 << 20),
        ("1.5g", 3 << 29),
        ("2gb", 2 << 30),
        ("1 GiB", 1 << 30),
        ("1t", 1 << 40),
    ],
)
def test_sizes_are_binary_bytes(text: str, size: int) -> None:
    assert units.parse_size(text) == size


@pytest.mark.parametrize("text", ["12q", "-1m", "m", "1.2.3k", ""])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a valid size"):
        units.parse_size(text)


def test_port_short_syntax_expands_to_long_syntax() -> None:
    assert parse_port("127.0.0.1:8080:80/udp") == [
        {
            "target": 80,
            "protocol": "udp",
            "published": "8080",
            "host_ip": "127.0.0.1",
            "mode": "ingress",
        }
    ]
    assert [entry["published"] for entry in parse_port("9000-9001:8000-8001")] == ["9000", "9001"]
    assert parse_port("8000-8010:22") == [
        {"target": 22, "protocol": "tcp", "published": "8000-8010", "mode": "ingress"}
    ]
    assert parse_port(80) == [{"target": 80, "protocol": "tcp", "mode": "ingress"}]
    assert parse_port("[::1]:53:53")[0]["host_ip"] == "::1"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("80:80:80", "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]"),
        ("abc", "expected"),
        ("0:0", "0 is not a port number"),
        ("8000-8002:80-81", "ranges differ in size"),
        ("80/icmp", "the protocol must be tcp, udp or sctp"),
        ("81-80", "ends before it starts"),
    ],
)
def test_bad_ports_say_why(spec: str, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_port(spec)
    assert str(raised.value).startswith(f'"{spec}" is not a valid port mapping (')
    assert reason in str(raised.value)


def test_expose_is_canonical() -> None:
    assert [parse_expose(value) for value in (3000, "3000/UDP", "8000-8010")] == [
        "3000/tcp",
        "3000/udp",
        "8000-8010/tcp",
    ]


def test_volume_short_syntax() -> None:
    assert parse_volume("/data") == {"type": "volume", "target": "/data"}
    assert parse_volume("cache:/cache:ro,nocopy") == {
        "type": "volume",
        "target": "/cache",
        "source": "cache",
        "read_only": True,
        "volume": {"nocopy": True},
    }
    assert parse_volume("./src:/app:rw,z,rshared") == {
        "type": "bind",
        "target": "/app",
        "source": "./src",
        "read_only": False,
        "bind": {"create_host_path": True, "selinux": "z", "propagation": "rshared"},
    }


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("a:b:c:d", "expected [SOURCE:]TARGET[:OPTIONS]"),
        ("./x:relative", "must be an absolute path"),
        ("./x:/y:nocopy", "'nocopy' applies to volumes"),
        ("named:/y:z", "'z' applies to bind mounts"),
        ("./x:/y:rx", "unknown option 'rx'"),
        ("::/y", "expected"),
    ],
)
def test_bad_volumes_say_why(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match="is not a valid volume mapping") as raised:
        parse_volume(spec)
    assert reason in str(raised.value)


ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("template", "result"),
    [
        ("$SET", "value"),
        ("${SET}-x", "value-x"),
        ("${EMPTY:-d}|${EMPTY-d}|${MISSING-d}", "d||d"),
        ("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${MISSING+alt}", "alt||alt|"),
        ("${MISSING:-${ALSO:-${SET}}}", "value"),
        ("$$SET and $${SET}", "$SET and ${SET}"),
        ("${SET:-${MISSING:?not evaluated}}", "value"),
        ("no variables at all", "no variables at all"),
    ],
)
def test_interpolation_forms(template: str, result: str) -> None:
    assert substitute(template, ENV).text == result


def test_interpolation_reports_unset_variables() -> None:
    assert substitute("$A ${B} ${C:-x} $A", {}).unset == ["A", "B"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${MISSING:?set it}", "required variable MISSING is missing a value: set it"),
        ("${EMPTY:?}", "required variable EMPTY is missing a value"),
        ("${MISSING?}", "required variable MISSING is missing a value"),
        ("echo $1", 'invalid interpolation format "echo $1"'),
        ("${SET", "invalid interpolation format"),
        ("${}", "invalid interpolation format"),
        ("${SET:x}", "invalid interpolation format"),
        ("cost: 5$", "invalid interpolation format"),
    ],
)
def test_interpolation_errors(template: str, message: str) -> None:
    with pytest.raises(InterpolationError) as raised:
        substitute(template, ENV)
    assert str(raised.value).startswith(message)


def test_dotenv_format() -> None:
    text = (
        "# comment\n"
        "export A=1\n"
        "B = spaced value  # inline comment\n"
        "C='literal ${A} #kept'\n"
        'D="line1\\nline2 \\"quoted\\" ${A}"\n'
        "E: yaml-like\n"
        "F=${A}${MISSING:-x}\n"
        "G\n"
        "H=\n"
        'I="multi\n'
        'line"\n'
        "J=a#b\n"
    )
    assert parse_dotenv(text, ".env", {"G": "from-environment"}) == {
        "A": "1",
        "B": "spaced value",
        "C": "literal ${A} #kept",
        "D": 'line1\nline2 "quoted" 1',
        "E": "yaml-like",
        "F": "1x",
        "G": "from-environment",
        "H": "",
        "I": "multi\nline",
        "J": "a#b",
    }


def test_dotenv_environment_wins_over_earlier_keys() -> None:
    assert parse_dotenv("A=file\nB=${A}\n", ".env", {"A": "process"})["B"] == "process"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A B=1\n", ".env:1:1: the key 'A' must not contain spaces"),
        ('A="open\n', ".env:1:3: the value of 'A' has no closing \""),
        ("A='x' y\n", ".env:1:7: unexpected text after the quoted value of 'A'"),
        ("\n\nA=$1\n", '.env:3:3: invalid interpolation format "$1" (write a literal $ as $$)'),
    ],
)
def test_dotenv_errors_have_positions(text: str, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_dotenv(text, ".env", {})
    assert str(raised.value) == message
