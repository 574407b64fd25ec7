# ruff: noqa: UP006, UP031, UP035, UP045  (written for the target's Python 3.8: typing.List, "%" formatting)
"""Run inside another interpreter: print its installed distributions, marker values and wheel tags as JSON.

:func:`pinlab.environment.read_environment` runs this file as a script with the target
interpreter (``python -E path/to/_inspect_environment.py <kit's packaging folder>``), which may
be any Python 3.8+ with neither pinlab nor packaging installed: so it imports nothing but the
standard library, and is written for Python 3.8. The marker environment is computed the way
``packaging.markers.default_environment()`` does (PEP 508).
"""

import os
import sys

if __name__ == "__main__":
    # Run as a script, Python puts this file's folder (pinlab's own) first on sys.path: it is not
    # part of the environment, and no module of pinlab may shadow the standard library's.
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]

import importlib.metadata as metadata  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
from typing import Any, Dict, List, Optional, Tuple  # noqa: E402


def full_version(info: Any) -> str:
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    return version if info.releaselevel == "final" else version + info.releaselevel[0] + str(info.serial)


def marker_values() -> Dict[str, str]:
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def distributions(path: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """Every distribution on *path* (default: this interpreter's sys.path), the first copy of each.

    pinlab also calls this in its own process, with a sandbox's search path
    (:func:`pinlab.environment.installed_on`): one reader, whichever process runs it."""
    return survey(path)[0]


def survey(path: Optional[List[str]] = None) -> Tuple[List[Dict[str, Any]], List[Dict[str, str]],
                                                     List[Dict[str, str]]]:
    """The distributions on *path* (the first copy of each), those that cannot be read (no
    METADATA, no Name, no Version: each with its folder and what is wrong), and the later copies
    of a name the first one shadows (each with its folder and the first one's)."""
    first: Dict[str, Dict[str, Any]] = {}
    found, unreadable, shadowed = [], [], []
    for dist in metadata.distributions() if path is None else metadata.distributions(path=path):
        # importlib.metadata has no public name for a distribution's folder; PathDistribution,
        # the one every installer's dist-info folder gives, keeps it in _path.
        folder = str(getattr(dist, "_path", "") or "?")
        if not (dist.read_text("METADATA") or dist.read_text("PKG-INFO")):
            unreadable.append({"folder": folder, "problem": "it has no METADATA file"})
            continue
        # A broken dist-info may have no Name; asking for a missing key warns (Python 3.12+).
        name = dist.metadata["Name"] if "Name" in dist.metadata else None
        version = dist.metadata["Version"] if "Version" in dist.metadata else None
        if not name or not version:
            requires = dist.requires or []
            declares = " (it declares %d requirement%s)" % (len(requires), "s" * (len(requires) != 1))
            unreadable.append({"folder": folder,
                               "problem": "its METADATA has no %s%s" % ("Name" if not name else "Version", declares)})
            continue
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in first:  # the first copy on sys.path is the one Python imports
            shadowed.append({"name": first[key]["name"], "folder": folder, "version": version,
                             "used": first[key]["folder"]})
            continue
        direct_url = dist.read_text("direct_url.json")
        first[key] = {"name": name, "folder": folder}
        found.append({"name": name, "version": version, "requires": dist.requires or [],
                      "direct_url": json.loads(direct_url).get("url") if direct_url else None})
    return found, unreadable, shadowed


def wheel_tags(kit_packaging: str) -> List[str]:
    """The wheel tags this interpreter accepts, from packaging.tags: the environment's own
    packaging if it has one, else the kit's copy, loaded from *kit_packaging* (after the listing,
    so that the kit's folder never shows up as installed)."""
    try:
        import packaging.tags as tags  # type: ignore[import-not-found,unused-ignore]
    except Exception:
        import importlib.util

        for name in [module for module in sys.modules if module == "packaging" or module.startswith("packaging.")]:
            del sys.modules[name]
        spec = importlib.util.spec_from_file_location(
            "packaging", os.path.join(kit_packaging, "__init__.py"), submodule_search_locations=[kit_packaging])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["packaging"] = module
        spec.loader.exec_module(module)
        import packaging.tags as tags  # type: ignore[import-not-found,unused-ignore]
    return [str(tag) for tag in tags.sys_tags()]


def fallback_tags() -> Optional[List[str]]:
    """Without a packaging that runs here (the kit's needs a newer Python), the tags of the common
    cases by the rules packaging.tags follows: CPython on glibc Linux or on Windows, and pure
    wheels. Anywhere else (macOS, musl, PyPy) they stay unknown rather than guessed."""
    import sysconfig

    if sys.implementation.name != "cpython":
        return None
    major, minor = sys.version_info[:2]
    python = "cp%d%d" % (major, minor)
    platform_tag = re.sub(r"[-.]", "_", sysconfig.get_platform())
    platforms = []
    if platform_tag.startswith("linux_"):
        arch = platform_tag[len("linux_"):]
        glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").split()
        if len(glibc) != 2 or glibc[0] != "glibc":
            return None
        glibc_minor = int(glibc[1].split(".")[1])
        legacy = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}
        for number in range(glibc_minor, 4, -1):
            platforms.append("manylinux_2_%d_%s" % (number, arch))
            if number in legacy:
                platforms.append("%s_%s" % (legacy[number], arch))
        platforms.append(platform_tag)
    elif platform_tag.startswith("win"):
        platforms.append(platform_tag)
    else:
        return None
    found = []
    for platform_name in platforms:
        found += ["%s-%s-%s" % (python, abi, platform_name) for abi in (python, "abi3", "none")]
        found += ["cp%d%d-abi3-%s" % (major, older, platform_name) for older in range(minor - 1, 1, -1)]
    found += ["py%d%d-none-%s" % (major, older, platform_name) for older in range(minor, -1, -1)
              for platform_name in platforms]
    found += ["py%d-none-%s" % (major, platform_name) for platform_name in platforms]
    found += [python + "-none-any", "py%d%d-none-any" % (major, minor), "py%d-none-any" % major]
    found += ["py%d%d-none-any" % (major, older) for older in range(minor - 1, -1, -1)]
    return found


def main(argv: List[str]) -> None:
    markers, (found, unreadable, shadowed) = marker_values(), survey()
    found_tags: Optional[List[str]]
    try:
        found_tags = wheel_tags(argv[0]) if argv else None
    except Exception:
        try:
            found_tags = fallback_tags()
        except Exception:
            found_tags = None
    print(json.dumps({"markers": markers, "distributions": found, "tags": found_tags,
                      "unreadable": unreadable, "shadowed": shadowed}))


if __name__ == "__main__":
    main(sys.argv[1:])
