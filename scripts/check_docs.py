"""Keeps the README opening and the reference versions named in the docs from falling behind.

1. Every module row of the guide's "What is in scipix" table has a bold entry of the same
   name in the README's opening (the text before "## The two commands").
2. The guide's "Reference versions" table names exactly the packages marked
   `# reference:` in tests/python/requirements.txt and requirements-nodeps.txt (the
   references installed with --no-deps), at their pinned releases.
3. Wherever the docs, the Python package or the sources name a reference package with a
   version ("opencv-python 5.1", "Pillow 13.0.0", "gguf.quants 0.19.0"), that version is the
   pinned one (or a prefix of it). Lines that name the bench peers ("peers: ...",
   `benches/peers_*.py`) record the versions a measurement was made with and are left alone.

Run from the repository root: `python3 scripts/check_docs.py`; exit status 1 lists each miss.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQ = ROOT / "tests/python/requirements.txt"
REQ_NODEPS = ROOT / "tests/python/requirements-nodeps.txt"

# Spellings of each reference in prose, followed by a version.
MENTIONS = {
    "opencv-python-headless": r"opencv-python(?:-headless)?",
    "pillow": r"\bPillow",
    "onnxruntime": r"(?:ONNX Runtime|(?<![-_])\bonnxruntime)",
    "onnx": r"\bonnx(?![-_ a-zA-Z])",
    "numpy": r"\bnumpy",
    "ml-dtypes": r"\bml[_-]dtypes",
    "safetensors": r"\bsafetensors(?: package)?",
    "gguf": r"\bgguf(?:\.quants)?`?",
    "rapidocr-onnxruntime": r"(?:\brapidocr[-_]onnxruntime|\bRapidOCR)",
}
VERSION = r"`?\s+v?(\d+(?:\.\d+)+|\d+(?=[\s,;:)]))(?![\d.])(?!\s*(?:ms|µs|us|s|x)\b)"


def pins():
    text = REQ.read_text() + "\n" + REQ_NODEPS.read_text()
    refs = re.findall(r"^# reference: ([A-Za-z0-9_.\-]+)", text, re.M)
    versions = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M))
    return {r: versions[r] for r in refs}


def table_rows(text, heading):
    """First-column and second-column cells of the first table after `heading`."""
    at = text.index(heading)
    rows = []
    started = False
    for line in text[at:].splitlines()[1:]:
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set(cells[0]) <= set("-: ") or cells[0] in ("module", "reference"):
                continue
            rows.append(cells)
        elif started:
            break
    return rows


def main():
    errors = []
    guide = (ROOT / "docs/guide.md").read_text()
    readme = (ROOT / "README.md").read_text()
    opening = readme[: readme.index("## The two commands")]
    bold = {b.strip().rstrip(":").lower() for b in re.findall(r"\*\*([^*]+)\*\*", opening)}
    for cells in table_rows(guide, "## What is in scipix"):
        if cells[0].lower() not in bold:
            errors.append(f"README opening has no **{cells[0]}** entry (guide module table)")

    pinned = pins()
    listed = {c[0]: c[1] for c in table_rows(guide, "### Reference versions")}
    for name, ver in pinned.items():
        if listed.get(name) != ver:
            errors.append(f"guide reference table: {name} is {listed.get(name)}, pinned {ver}")
    for name in set(listed) - set(pinned):
        errors.append(f"guide reference table lists {name}, which the requirement files do not pin")

    files = [ROOT / "README.md", ROOT / "python/README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "src").rglob("*.rs")), *sorted((ROOT / "tests").rglob("*.py")),
             *sorted((ROOT / "tests").glob("*.rs")), *sorted((ROOT / "python/scipix").glob("*.py"))]
    for path in files:
        for no, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if "peers" in line:  # the versions a bench run measured with
                continue
            for name, pat in MENTIONS.items():
                for m in re.finditer(pat + VERSION, line):
                    said, want = m.group(1).split("."), pinned[name].split(".")
                    if want[: len(said)] != said:
                        errors.append(f"{path.relative_to(ROOT)}:{no}: {m.group(0).strip()!r} "
                                      f"but {name} is pinned at {pinned[name]}")
    for e in errors:
        print(e)
    if errors:
        print(f"{len(errors)} documentation checks failed", file=sys.stderr)
        return 1
    print(f"docs: README opening covers the guide's modules; {len(pinned)} reference pins named consistently")
    return 0


if __name__ == "__main__":
    sys.exit(main())
