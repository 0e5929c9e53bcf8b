"""Compile an OCI `linux.seccomp` object into a classic BPF program for seccomp(2).

The program checks the architecture first (each listed architecture gets its
own block, others get the default action), then tests the system call number
against each rule in order; rules with argument conditions compare both 32-bit
halves of the 64-bit argument. Rules are emitted as small self-contained
blocks so every conditional jump stays within the 8-bit offset BPF allows.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runtime.errors import EngineError
from runtime.linux.seccomp.syscall_table import syscall_numbers

# struct seccomp_data offsets
_NR = 0
_ARCH = 4
_ARGS = 16

# BPF opcodes
LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGT = 0x25
JGE = 0x35
JA = 0x05
AND = 0x54  # BPF_ALU | BPF_AND | BPF_K
RET = 0x06

RET_KILL_PROCESS = 0x80000000
RET_KILL_THREAD = 0x00000000
RET_TRAP = 0x00030000
RET_ERRNO = 0x00050000
RET_TRACE = 0x7FF00000
RET_LOG = 0x7FFC0000
RET_ALLOW = 0x7FFF0000

X32_SYSCALL_BIT = 0x40000000

# OCI architecture name -> (audit arch, syscall table)
_ARCHES = {
    "SCMP_ARCH_X86_64": (0xC000003E, "x86_64"),
    "SCMP_ARCH_X86": (0x40000003, "x86"),
    "SCMP_ARCH_AARCH64": (0xC00000B7, "aarch64"),
}
_NATIVE = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}


class SeccompError(EngineError):
    """A seccomp profile cannot be compiled or installed."""


def action_value(action: str, errno_ret: int | None, default_errno: int = 1) -> int:
    """The SECCOMP_RET_* value of an OCI action name."""
    if action == "SCMP_ACT_ALLOW":
        return RET_ALLOW
    if action == "SCMP_ACT_ERRNO":
        return RET_ERRNO | ((errno_ret if errno_ret is not None else default_errno) & 0xFFFF)
    if action in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"):
        return RET_KILL_THREAD
    if action == "SCMP_ACT_KILL_PROCESS":
        return RET_KILL_PROCESS
    if action == "SCMP_ACT_TRAP":
        return RET_TRAP
    if action == "SCMP_ACT_TRACE":
        return RET_TRACE | ((errno_ret or 0) & 0xFFFF)
    if action == "SCMP_ACT_LOG":
        return RET_LOG
    raise SeccompError(f"seccomp action {action} is not supported")


@dataclass
class _Insn:
    code: int
    k: int = 0
    jt: str | int = 0  # a label name or a relative offset
    jf: str | int = 0


class _Assembler:
    """Instructions with forward labels, resolved to relative offsets at the end."""

    def __init__(self) -> None:
        self.code: list[_Insn] = []
        self.labels: dict[str, int] = {}
        self._counter = 0

    def new_label(self) -> str:
        self._counter += 1
        return f"L{self._counter}"

    def emit(self, code: int, k: int = 0, jt: str | int = 0, jf: str | int = 0) -> None:
        self.code.append(_Insn(code, k & 0xFFFFFFFF, jt, jf))

    def mark(self, label: str) -> None:
        self.labels[label] = len(self.code)

    def assemble(self) -> bytes:
        out = bytearray()
        for index, insn in enumerate(self.code):
            jt = self._offset(index, insn.jt)
            jf = self._offset(index, insn.jf)
            k = insn.k
            if insn.code == JA and isinstance(insn.jt, str):
                k, jt = self.labels[insn.jt] - index - 1, 0
            elif jt > 255 or jf > 255:
                raise SeccompError("seccomp rule too large for a BPF conditional jump")
            out += struct.pack("=HBBI", insn.code, jt, jf, k)
        if len(self.code) > 4096:
            raise SeccompError(f"seccomp program has {len(self.code)} instructions (max 4096)")
        return bytes(out)

    def _offset(self, index: int, target: str | int) -> int:
        if isinstance(target, int):
            return target
        return self.labels[target] - index - 1


def _emit_condition(asm: _Assembler, arg: dict[str, Any], fail: str) -> None:
    """Fall through when the argument condition holds, else jump to `fail`."""
    index = int(arg["index"])
    value = int(arg.get("value", 0))
    value_two = int(arg.get("valueTwo", 0))
    op = arg["op"]
    low, high = _ARGS + 8 * index, _ARGS + 8 * index + 4
    v_hi, v_lo = value >> 32, value & 0xFFFFFFFF
    passed = asm.new_label()
    if op == "SCMP_CMP_EQ":
        asm.emit(LD_ABS, high)
        asm.emit(JEQ, v_hi, 0, fail)
        asm.emit(LD_ABS, low)
        asm.emit(JEQ, v_lo, 0, fail)
    elif op == "SCMP_CMP_NE":
        asm.emit(LD_ABS, high)
        asm.emit(JEQ, v_hi, 0, passed)
        asm.emit(LD_ABS, low)
        asm.emit(JEQ, v_lo, fail, 0)
    elif op == "SCMP_CMP_MASKED_EQ":
        asm.emit(LD_ABS, high)
        asm.emit(AND, v_hi)
        asm.emit(JEQ, value_two >> 32, 0, fail)
        asm.emit(LD_ABS, low)
        asm.emit(AND, v_lo)
        asm.emit(JEQ, value_two & 0xFFFFFFFF, 0, fail)
    elif op in ("SCMP_CMP_GT", "SCMP_CMP_GE"):
        asm.emit(LD_ABS, high)
        asm.emit(JGT, v_hi, passed, 0)
        asm.emit(JEQ, v_hi, 0, fail)
        asm.emit(LD_ABS, low)
        asm.emit(JGT if op == "SCMP_CMP_GT" else JGE, v_lo, 0, fail)
    elif op in ("SCMP_CMP_LT", "SCMP_CMP_LE"):
        # a < b is not (a >= b); a <= b is not (a > b)
        asm.emit(LD_ABS, high)
        asm.emit(JGT, v_hi, fail, 0)
        asm.emit(JEQ, v_hi, 0, passed)
        asm.emit(LD_ABS, low)
        asm.emit(JGE if op == "SCMP_CMP_LT" else JGT, v_lo, fail, 0)
    else:
        raise SeccompError(f"seccomp operator {op} is not supported")
    asm.mark(passed)


def _emit_arch_block(
    asm: _Assembler, table: str, rules: Iterable[dict[str, Any]], default: int, default_errno: int
) -> None:
    numbers = syscall_numbers(table)
    asm.emit(LD_ABS, _NR)
    if table == "x86_64":
        # x32 system calls share the x86_64 audit arch; Docker lists X32 but we refuse them.
        asm.emit(JGE, X32_SYSCALL_BIT, 0, 1)
        asm.emit(RET, default)
    simple: dict[int, int] = {}
    conditional: list[tuple[int, int, list[dict[str, Any]]]] = []
    for rule in rules:
        action = action_value(rule["action"], rule.get("errnoRet"), default_errno)
        args = rule.get("args") or []
        for name in rule.get("names") or []:
            number = numbers.get(name)
            if number is None:
                continue  # like libseccomp: a name this architecture lacks is skipped
            if args:
                conditional.append((number, action, list(args)))
            elif number not in simple:
                simple[number] = action
    for number in sorted(simple):
        asm.emit(JEQ, number, 0, 1)
        asm.emit(RET, simple[number])
    for number, action, args in conditional:
        skip = asm.new_label()
        asm.emit(LD_ABS, _NR)
        asm.emit(JEQ, number, 0, skip)
        for arg in args:
            _emit_condition(asm, arg, skip)
        asm.emit(RET, action)
        asm.mark(skip)
    asm.emit(RET, default)


def compile_profile(seccomp: dict[str, Any], machine: str) -> bytes:
    """The BPF program (packed sock_filter records) for an OCI seccomp object on `machine`."""
    default_errno = int(seccomp.get("defaultErrnoRet", 1) or 1)
    default = action_value(seccomp.get("defaultAction", "SCMP_ACT_ERRNO"), default_errno)
    native = _NATIVE.get(machine)
    if native is None:
        raise SeccompError(f"seccomp is not supported on {machine}")
    arches = [native] + [a for a in seccomp.get("architectures") or [] if a != native]
    arches = [a for a in arches if a in _ARCHES]
    rules = seccomp.get("syscalls") or []
    asm = _Assembler()
    blocks = [(arch, asm.new_label()) for arch in arches]
    asm.emit(LD_ABS, _ARCH)
    for arch, label in blocks:
        asm.emit(JEQ, _ARCHES[arch][0], 0, 1)
        asm.emit(JA, 0, label)
    # An architecture the profile does not list: the kernel would misread the numbers.
    asm.emit(RET, RET_KILL_PROCESS)
    for arch, label in blocks:
        asm.mark(label)
        _emit_arch_block(asm, _ARCHES[arch][1], rules, default, default_errno)
    return asm.assemble()
