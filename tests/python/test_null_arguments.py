"""Every exported function, called with NULL for every pointer and zero for every number,
must return (a status, or nothing for free functions) without crashing the process.

The prototypes come from include/scipix.h, so functions added later are covered without
touching this file. The calls run in a child process so a crash fails the test with the name
of the function that crashed instead of taking pytest down.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTO = re.compile(r"^(?P<ret>[A-Za-z_][\w ]*?[\s*]+)(?P<name>scipix_\w+)\((?P<args>[^)]*)\);$")
# Functions whose whole point is to misbehave or to block on purpose.
SKIP = {"scipix_debug_panic"}
FLOAT_TYPES = {"float", "double"}


def prototypes():
    for line in (ROOT / "include" / "scipix.h").read_text().splitlines():
        m = PROTO.match(line.strip())
        if m and m["name"] not in SKIP:
            args = [a.strip() for a in m["args"].split(",")] if m["args"].strip() != "void" else []
            yield m["name"], m["ret"].strip(), args


CHILD = r"""
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.scipix_last_error_message.restype = ctypes.c_char_p
for spec in sys.argv[2:]:
    name, returns_status, kinds = spec.split(":")
    args = []
    for k in kinds.split(",") if kinds else []:
        args.append({"p": ctypes.c_void_p(None), "f": ctypes.c_double(0.0),
                     "g": ctypes.c_float(0.0), "i": ctypes.c_uint64(0)}[k])
    print(name, flush=True)
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int32
    rc = fn(*args)
    if returns_status == "1" and rc not in (0, 16) and not lib.scipix_last_error_message():
        print(f"FAIL {name}: status {rc} without a message", flush=True)
        sys.exit(3)
print("DONE", flush=True)
"""


def struct_types():
    """Names of the header's structs (passed or returned by value they need a real layout)."""
    h = (ROOT / "include" / "scipix.h").read_text()
    named = set(re.findall(r"typedef struct (\w+) \w+;", h))  # opaque handles
    by_value = set(re.findall(r"^} (Scipix\w+);", h, flags=re.M))
    enums = set(re.findall(r"typedef enum \{[^}]*\} (\w+);", h, flags=re.S))
    return (by_value | named) - enums


def kind(arg: str) -> str:
    t = re.sub(r"\b\w+$", "", arg).strip() if not arg.endswith("*") else arg
    if "*" in arg or "(" in arg:
        return "p"
    if t.split()[-1:] == ["double"]:
        return "f"
    if t.split()[-1:] == ["float"]:
        return "g"
    return "i"


def test_null_and_zero_arguments_never_crash(lib):
    from conftest import library_path

    structs = struct_types()
    specs = []
    for name, ret, args in prototypes():
        if ret in structs or any(a.split()[0] in structs and "*" not in a for a in args):
            continue  # a struct by value: no meaningful all-zero call through ctypes
        kinds = ",".join(kind(a) for a in args)
        specs.append(f"{name}:{int(ret == 'ScipixStatus')}:{kinds}")
    assert len(specs) >= 15
    proc = subprocess.run([sys.executable, "-c", CHILD, str(library_path()), *specs],
                          capture_output=True, text=True, timeout=300)
    called = proc.stdout.split()
    assert proc.returncode == 0 and called[-1:] == ["DONE"], (
        f"crashed or failed in {called[-1:] }: rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    )
