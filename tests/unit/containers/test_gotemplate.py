"""The `--format` template interpreter: the forms people paste from Docker's documentation."""

from __future__ import annotations

import pytest

from orchestrator.cli.gotemplate import TemplateError, render

DATA = {
    "Name": "/web",
    "State": {"Pid": 1234, "Running": True, "Health": None},
    "Config": {"Labels": {"k": "v", "a.b": "c"}, "Env": ["A=1", "B=2"], "Cmd": ["sh"]},
    "Mounts": [{"Source": "/a"}, {"Source": "/b"}],
    "NetworkSettings": {"IPAddress": "10.0.0.2", "Networks": {"bridge": {"IPAddress": "10.0.0.2"}}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ .State.Pid }}", "1234"),
        ("{{json .Config.Labels}}", '{"k":"v","a.b":"c"}'),
        ("{{range .Mounts}}{{.Source}}{{end}}", "/a/b"),
        ('{{index .Config.Labels "k"}}', "v"),
        ('{{index .Config.Labels "a.b"}}', "c"),
        ("{{.NetworkSettings.IPAddress}}", "10.0.0.2"),
        ("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a.b=c;k=v;"),
        ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
        ("{{if .State.Health}}h{{else if .State.Running}}r{{else}}x{{end}}", "r"),
        ("{{if not .State.Running}}a{{else if .State.Health}}b{{else}}c{{end}}", "c"),
        ("{{.Name}}", "/web"),
        ("{{.Missing}}", "<no value>"),
        ("{{.State.Health}}", "<no value>"),
        ("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "10.0.0.2"),
        ("{{ .Config.Env | json }}", '["A=1","B=2"]'),
        ("{{- .Name -}}  x", "/webx"),
        ("a  {{- .Name}}", "a/web"),
        ("{{$x := .Name}}{{$x}}", "/web"),
        ('{{join .Config.Env ","}}', "A=1,B=2"),
        ('{{printf "%s:%d" .Name .State.Pid}}', "/web:1234"),
        ("{{if eq .State.Pid 1234}}yes{{end}}", "yes"),
        ('{{if eq .Name "/x" "/web"}}any{{end}}', "any"),
        ("{{if and .State.Running (gt .State.Pid 1)}}ok{{end}}", "ok"),
        ("{{len .Mounts}}", "2"),
        ("{{with .State}}{{.Pid}}{{end}}", "1234"),
        ("{{with .State.Health}}h{{else}}none{{end}}", "none"),
        ("{{range $i, $m := .Mounts}}{{$i}}{{$m.Source}}{{end}}", "0/a1/b"),
        ("{{range .Nothing}}x{{else}}empty{{end}}", "empty"),
        ("{{/* a comment */}}a", "a"),
        ("{{(index .Mounts 1).Source}}", "/b"),
        ("{{.Config.Cmd}}", "[sh]"),
        ("{{.Config.Labels}}", "map[a.b:c k:v]"),
        ("{{upper .Name}} {{lower `A`}}", "/WEB a"),
        ('{{"quoted \\" string"}}', 'quoted " string'),
        ("{{println .Name}}", "/web\n"),
        ("{{range .Mounts}}{{$.Name}}{{end}}", "/web/web"),
    ],
)
def test_templates(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Name", "unclosed action"),
        ("{{if .Name}}x", "missing {{end}}"),
        ("{{end}}", "unexpected {{end}}"),
        ("{{nosuch .Name}}", 'function "nosuch" not defined'),
        ("{{$undefined}}", "undefined variable"),
        ("{{.Name.Deeper}}", "can't evaluate field Deeper"),
        ("{{}}", "empty action"),
    ],
)
def test_errors_say_what_is_wrong(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("{", "\\{").replace("}", "\\}")):
        render(template, DATA)
