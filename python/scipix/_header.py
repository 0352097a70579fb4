"""A parser for the C header cbindgen writes for scipix (``include/scipix.h``).

It understands exactly the subset cbindgen emits with the project's ``cbindgen.toml``:

- ``#define NAME value`` constants (integers, floats, strings),
- ``typedef enum { A = 0, ... } Name;`` enums,
- ``typedef struct Name Name;`` opaque handle types,
- ``typedef struct { fields } Name;`` ``#[repr(C)]`` structs (fields may be pointers, fixed
  arrays and function pointers),
- ``typedef T Name;`` aliases and ``typedef R (*Name)(params);`` function-pointer types,
- one function prototype per statement, ``R name(params);``.

Anything else in a statement position raises ``HeaderParseError``, so a construct the parser
does not know cannot be skipped silently (the test suite parses the real header and checks
the result against the C compiler and the shared library's exported symbols).

The result is a plain description (``Header``) with no ctypes in it; ``_ffi`` turns it into
ctypes declarations. ``CType.render`` turns a parsed type back into C, which the tests compile
against the original header to prove the parse is faithful.
"""
from __future__ import annotations

import ctypes
import dataclasses
import re
from typing import Dict, List, Optional, Tuple, Union


class HeaderParseError(ValueError):
    """The header contains a construct this parser does not understand."""


# ---------------------------------------------------------------------------------------------
# Types


@dataclasses.dataclass(frozen=True)
class Named:
    """A type referred to by name: a C builtin (``uint8_t``, ``unsigned int``) or a typedef."""

    name: str
    const: bool = False


@dataclasses.dataclass(frozen=True)
class Pointer:
    to: "CType"
    const: bool = False  # the pointer itself is const (``T *const p``)


@dataclasses.dataclass(frozen=True)
class Array:
    of: "CType"
    length: Union[int, str]  # a literal or the name of a #define


@dataclasses.dataclass(frozen=True)
class FuncPtr:
    """A pointer to a function (``R (*)(params)``)."""

    ret: "CType"
    params: Tuple["Param", ...]


CType = Union[Named, Pointer, Array, FuncPtr]


@dataclasses.dataclass(frozen=True)
class Param:
    name: Optional[str]
    type: CType


@dataclasses.dataclass(frozen=True)
class Function:
    name: str
    ret: CType
    params: Tuple[Param, ...]
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Enum:
    name: str
    values: Tuple[Tuple[str, int], ...]
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Struct:
    name: str
    fields: Tuple[Param, ...]  # empty for an opaque type
    opaque: bool
    union: bool = False
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Alias:
    name: str
    type: CType
    doc: str = ""


@dataclasses.dataclass
class Header:
    constants: Dict[str, Union[int, float, str]] = dataclasses.field(default_factory=dict)
    enums: Dict[str, Enum] = dataclasses.field(default_factory=dict)
    structs: Dict[str, Struct] = dataclasses.field(default_factory=dict)
    aliases: Dict[str, Alias] = dataclasses.field(default_factory=dict)
    functions: Dict[str, Function] = dataclasses.field(default_factory=dict)
    # Every type name in declaration order, so dependent declarations can be built in order.
    order: List[str] = dataclasses.field(default_factory=list)

    def enum_constants(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for e in self.enums.values():
            out.update(dict(e.values))
        return out


# Builtin type names (after normalising whitespace) that may appear in cbindgen output.
BUILTINS = {
    "void", "bool", "_Bool", "char", "signed char", "unsigned char", "short",
    "unsigned short", "int", "unsigned int", "unsigned", "long", "unsigned long",
    "long long", "unsigned long long", "float", "double", "int8_t", "uint8_t", "int16_t",
    "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t", "size_t", "ptrdiff_t",
    "intptr_t", "uintptr_t",
}
_BUILTIN_WORDS = {"void", "bool", "_Bool", "char", "signed", "unsigned", "short", "int",
                  "long", "float", "double"}


def render(t: CType, name: str = "") -> str:
    """C text declaring ``name`` (possibly empty: an abstract declarator) of type ``t``."""
    if isinstance(t, Named):
        return f"{'const ' if t.const else ''}{t.name}{(' ' + name) if name else ''}"
    if isinstance(t, Pointer):
        inner = f"*{'const ' if t.const else ''}{name}"
        if isinstance(t.to, (Array, FuncPtr)):
            inner = f"({inner})"
        return render(t.to, inner)
    if isinstance(t, Array):
        return render(t.of, f"{name}[{t.length}]")
    if isinstance(t, FuncPtr):
        params = ", ".join(render(p.type, p.name or "") for p in t.params) or "void"
        return render(t.ret, f"(*{name})({params})")
    raise TypeError(t)


# ---------------------------------------------------------------------------------------------
# Lexical preparation


_DOC_RE = re.compile(r"/\*\*(.*?)\*/", re.S)


def _clean_doc(raw: str) -> str:
    lines = [re.sub(r"^\s*\*\s?", "", l) for l in raw.strip("\n").splitlines()]
    return "\n".join(lines).strip()


def _preprocess(text: str) -> Tuple[List[Tuple[str, str]], Dict[str, Union[int, float, str]]]:
    """Returns (statements with their doc comments, #define constants).

    Doc comments are kept by replacing each ``/** ... */`` with a marker so the statement that
    follows can pick it up. ``#ifdef __cplusplus`` blocks are dropped; every other
    conditional block is kept (cbindgen only emits the include guard and C++ wrappers).
    """
    docs: List[str] = []

    def keep_doc(m: "re.Match[str]") -> str:
        docs.append(_clean_doc(m.group(1)))
        return f"\x00DOC{len(docs) - 1}\x00"

    text = _DOC_RE.sub(keep_doc, text)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)

    constants: Dict[str, Union[int, float, str]] = {}
    body: List[str] = []
    skip_stack: List[bool] = []  # True = this conditional block is skipped
    constant_docs: Dict[str, str] = {}
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            directive = s[1:].strip()
            skipping = any(skip_stack)
            if directive.startswith(("ifdef", "ifndef", "if ")) or directive == "if":
                skip_stack.append(directive.startswith("ifdef") and "__cplusplus" in directive)
            elif directive.startswith("else"):
                if skip_stack:
                    skip_stack[-1] = not skip_stack[-1]
            elif directive.startswith("endif"):
                if skip_stack:
                    skip_stack.pop()
            elif directive.startswith("define") and not skipping:
                m = re.fullmatch(r"define\s+(\w+)(?:\s+(.*))?", directive)
                if not m:
                    raise HeaderParseError(f"cannot parse #define: {s!r}")
                if m.group(2) is not None:  # include guards define no value
                    constants[m.group(1)] = _parse_constant(m.group(1), m.group(2).strip())
                    # The doc comment right above a #define belongs to it, not to the next
                    # statement.
                    if body and re.fullmatch(r"\s*\x00DOC(\d+)\x00\s*", body[-1]):
                        idx = int(re.search(r"\d+", body.pop()).group(0))
                        constant_docs[m.group(1)] = docs[idx]
            elif directive.startswith(("include", "pragma", "undef", "error", "warning")):
                pass
            else:
                raise HeaderParseError(f"unknown preprocessor directive: {s!r}")
            continue
        if any(skip_stack):
            continue
        body.append(line)

    # Split the body into top-level statements (';' at brace depth 0), carrying the doc
    # comment that immediately precedes each one.
    statements: List[Tuple[str, str]] = []
    joined = "\n".join(body)
    depth = 0
    cur: List[str] = []
    cur_doc = ""
    i = 0
    while i < len(joined):
        c = joined[i]
        if c == "\x00":
            end = joined.index("\x00", i + 1)
            idx = int(joined[i + 4:end])
            if depth == 0 and not "".join(cur).strip():
                cur_doc = docs[idx]
            i = end + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                raise HeaderParseError("unbalanced '}'")
        if c == ";" and depth == 0:
            stmt = " ".join("".join(cur).split())
            if stmt:
                statements.append((stmt, cur_doc))
            cur = []
            cur_doc = ""
        else:
            cur.append(c)
        i += 1
    rest = "".join(cur).strip()
    if rest:
        raise HeaderParseError(f"trailing text without ';': {rest[:80]!r}")
    return statements, constants


def _parse_int(text: str) -> int:
    t = text.strip()
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    # cbindgen may write a cast such as (uint32_t)3 or a suffix such as 3ull.
    t = re.sub(r"^\((?:const\s+)?\w+(?:\s+\w+)*\)\s*", "", t)
    t = re.sub(r"(?<=[0-9a-fA-F])(?:[uU]?[lL]{0,2}|[lL]{1,2}[uU])$", "", t)
    neg = t.startswith("-")
    if neg:
        t = t[1:].strip()
    v = int(t, 0)
    return -v if neg else v


# <stdint.h> limits cbindgen writes for Rust's MAX/MIN constants (SIZE_MAX from this
# platform's size_t).
_LIMITS = {
    "UINT8_MAX": 2**8 - 1, "UINT16_MAX": 2**16 - 1, "UINT32_MAX": 2**32 - 1,
    "UINT64_MAX": 2**64 - 1, "INT8_MAX": 2**7 - 1, "INT16_MAX": 2**15 - 1,
    "INT32_MAX": 2**31 - 1, "INT64_MAX": 2**63 - 1, "INT8_MIN": -(2**7),
    "INT16_MIN": -(2**15), "INT32_MIN": -(2**31), "INT64_MIN": -(2**63),
    "SIZE_MAX": 2**(8 * ctypes.sizeof(ctypes.c_size_t)) - 1,
}


def _parse_constant(name: str, value: str) -> Union[int, float, str]:
    if value in _LIMITS:
        return _LIMITS[value]
    if value.startswith('"') and value.endswith('"'):
        return bytes(value[1:-1], "utf-8").decode("unicode_escape")
    try:
        return _parse_int(value)
    except ValueError:
        pass
    try:
        return float(value.rstrip("fF"))
    except ValueError:
        pass
    m = re.fullmatch(r"\(\s*(-?\s*\w+)\s*<<\s*(\w+)\s*\)|(-?\w+)\s*<<\s*(\w+)", value)
    if m:
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return _parse_int(a) << _parse_int(b)
    raise HeaderParseError(f"cannot parse the value of #define {name}: {value!r}")


# ---------------------------------------------------------------------------------------------
# Declarators


def _split_top(text: str, sep: str) -> List[str]:
    parts, depth, cur = [], 0, []
    for c in text:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    last = "".join(cur).strip()
    if last or parts:
        parts.append(last)
    return parts


def _parse_params(text: str) -> Tuple[Param, ...]:
    text = text.strip()
    if text in ("", "void"):
        return ()
    return tuple(_parse_decl(p, allow_unnamed=True) for p in _split_top(text, ","))


def _base_type(words: List[str]) -> Named:
    const = "const" in words
    words = [w for w in words if w not in ("const", "struct", "enum", "union")]
    if not words:
        raise HeaderParseError("missing type name")
    name = " ".join(words)
    if len(words) > 1 and not all(w in _BUILTIN_WORDS for w in words):
        raise HeaderParseError(f"cannot parse type {name!r}")
    return Named(name, const)


def _parse_decl(text: str, allow_unnamed: bool = False) -> Param:
    """Parses one declaration such as ``const uint8_t *data``, ``float mean[4]`` or
    ``ScipixStatus (*cb)(void *user, size_t n)``."""
    text = " ".join(text.split())
    # Function pointer: R (*name)(params)
    m = re.fullmatch(r"(.+?)\(\s*\*\s*(const\s+)?(\w*)\s*\)\s*\((.*)\)", text)
    if m:
        ret = _parse_decl(m.group(1), allow_unnamed=True)
        if ret.name is not None:
            raise HeaderParseError(f"cannot parse function pointer {text!r}")
        name = m.group(3) or None
        if name is None and not allow_unnamed:
            raise HeaderParseError(f"unnamed declaration {text!r}")
        return Param(name, FuncPtr(ret.type, _parse_params(m.group(4))))
    # Arrays: T name[N][M]
    m = re.fullmatch(r"(.+?)((?:\s*\[\s*\w+\s*\])+)", text)
    if m:
        inner = _parse_decl(m.group(1), allow_unnamed)
        dims = re.findall(r"\[\s*(\w+)\s*\]", m.group(2))
        t: CType = inner.type
        for d in reversed(dims):
            t = Array(t, int(d, 0) if d[0].isdigit() else d)
        return Param(inner.name, t)
    # Plain: qualifiers, a base type, '*'s with optional const, an optional name.
    tokens = re.findall(r"\*|\w+", text)
    if not tokens or re.sub(r"[\w*\s]", "", text):
        raise HeaderParseError(f"cannot parse declaration {text!r}")
    name: Optional[str] = None
    if tokens[-1] != "*":
        words_before = [t for t in tokens[:-1] if t not in ("const", "*", "struct", "enum")]
        if words_before and tokens[-1] not in _BUILTIN_WORDS:
            name = tokens[-1]
            tokens = tokens[:-1]
        elif not allow_unnamed:
            raise HeaderParseError(f"unnamed declaration {text!r}")
    if "*" in tokens:
        first = tokens.index("*")
        t = _base_type(tokens[:first])
        rest = tokens[first:]
    else:
        t = _base_type(tokens)
        rest = []
    for tok in rest:
        if tok == "*":
            t = Pointer(t)
        elif tok == "const":
            t = Pointer(t.to, const=True)  # type: ignore[union-attr]
        else:
            raise HeaderParseError(f"cannot parse declaration {text!r}")
    return Param(name, t)


# ---------------------------------------------------------------------------------------------
# Statements


def _parse_enum_body(body: str) -> Tuple[Tuple[str, int], ...]:
    values = []
    nxt = 0
    for item in _split_top(body, ","):
        if not item:
            continue
        m = re.fullmatch(r"(\w+)\s*(?:=\s*(.+))?", item)
        if not m:
            raise HeaderParseError(f"cannot parse enumerator {item!r}")
        v = _parse_int(m.group(2)) if m.group(2) is not None else nxt
        values.append((m.group(1), v))
        nxt = v + 1
    return tuple(values)


def parse(text: str) -> Header:
    statements, constants = _preprocess(text)
    h = Header(constants=constants)
    for stmt, doc in statements:
        if stmt.startswith('extern "C"'):
            raise HeaderParseError("extern \"C\" outside an #ifdef __cplusplus block")
        if stmt.startswith("typedef "):
            rest = stmt[len("typedef "):].strip()
            m = re.fullmatch(r"enum\s*(\w+)?\s*\{(.*)\}\s*(\w+)", rest, re.S)
            if m:
                h.enums[m.group(3)] = Enum(m.group(3), _parse_enum_body(m.group(2)), doc)
                h.order.append(m.group(3))
                continue
            m = re.fullmatch(r"(struct|union)\s*(\w+)?\s*\{(.*)\}\s*(\w+)", rest, re.S)
            if m:
                fields = tuple(_parse_decl(f) for f in _split_top(m.group(3), ";") if f)
                h.structs[m.group(4)] = Struct(m.group(4), fields, False, m.group(1) == "union", doc)
                h.order.append(m.group(4))
                continue
            m = re.fullmatch(r"(struct|union)\s+(\w+)\s+(\w+)", rest)
            if m:
                if m.group(2) != m.group(3):
                    raise HeaderParseError(f"opaque typedef with a different tag: {stmt!r}")
                h.structs[m.group(3)] = Struct(m.group(3), (), True, False, doc)
                h.order.append(m.group(3))
                continue
            d = _parse_decl(rest)
            h.aliases[d.name] = Alias(d.name, d.type, doc)  # type: ignore[arg-type]
            h.order.append(d.name)  # type: ignore[arg-type]
            continue
        if stmt.startswith(("struct ", "enum ", "union ")) and "{" in stmt:
            raise HeaderParseError(f"untypedef'd aggregate (cbindgen style must be 'type'): {stmt[:60]!r}")
        # A function prototype: R name(params)
        m = re.fullmatch(r"(?:extern\s+)?(.+?)\b(\w+)\s*\((.*)\)", stmt)
        if not m or "(*" in m.group(1):
            raise HeaderParseError(f"cannot parse statement {stmt[:80]!r}")
        ret = _parse_decl(m.group(1), allow_unnamed=True)
        if ret.name is not None:
            raise HeaderParseError(f"cannot parse return type in {stmt[:80]!r}")
        f = Function(m.group(2), ret.type, _parse_params(m.group(3)), doc)
        if f.name in h.functions:
            raise HeaderParseError(f"duplicate prototype {f.name}")
        h.functions[f.name] = f
    return h


def parse_file(path) -> Header:
    with open(path, encoding="utf-8") as fh:
        return parse(fh.read())
