"""Compares installed Python distributions with exact pins (`name==version` lines).

    python3 scripts/pinned_versions.py FILE [FILE ...]        # exit 1 if any pin is unmet
    python3 scripts/pinned_versions.py --names FILE            # the pinned names, one a line
    python3 scripts/pinned_versions.py --references FILE       # the names marked "# reference:"

A pin may name extras (`ray[data,serve]==2.60.0`): pip installs them, the check compares the
distribution's version. A pin is met when the installed distribution has exactly that version; "not installed" and any
other version are both unmet and are printed as `name: installed X, pinned Y`. Lines without
`==` are an error: every package the tests depend on is pinned. For OpenCV it also checks that
`import cv2` loads the pinned release (a second OpenCV distribution, such as the non-headless
opencv-python, can shadow the headless one).
"""
import importlib.metadata as md
import re
import subprocess
import sys


def pins(path):
    out = []
    for raw in open(path, encoding="utf-8"):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        # name[extra,...]==version: the extras are pip's business; the pin is the version
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[A-Za-z0-9_.,\-]+\])?==([A-Za-z0-9_.\-+]+)", line)
        if not m:
            sys.exit(f"{path}: '{line}' is not an exact pin (name==version)")
        out.append((m.group(1), m.group(2)))
    return out


def references(path):
    return [m.group(1) for m in re.finditer(r"^# reference: ([A-Za-z0-9_.\-]+)",
                                            open(path, encoding="utf-8").read(), re.M)]


def installed(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def cv2_version():
    r = subprocess.run([sys.executable, "-c", "import cv2; print(cv2.__version__)"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def main(argv):
    if argv and argv[0] in ("--names", "--references"):
        for path in argv[1:]:
            names = [n for n, _ in pins(path)] if argv[0] == "--names" else references(path)
            print("\n".join(names))
        return 0
    unmet = []
    for path in argv:
        for name, want in pins(path):
            have = installed(name)
            if have != want:
                unmet.append(f"{name}: installed {have or 'none'}, pinned {want}")
            elif name.lower().startswith("opencv"):
                # 5.1.0.95 -> cv2.__version__ 5.1.0
                loaded = cv2_version()
                if loaded is None or not want.startswith(loaded + "."):
                    unmet.append(f"{name}: import cv2 loads {loaded or 'nothing'}, pinned {want}"
                                 " (another OpenCV distribution shadows it: uninstall it)")
    for line in unmet:
        print(line)
    return 1 if unmet else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
