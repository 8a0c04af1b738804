import json
import subprocess
import sys
from pathlib import Path

import briefing
from briefing.schemas import schema_texts

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter, so nothing this test session imported first can make a name
# resolve; it works whether the package imports its names eagerly or on first use.
SURFACE = """
import inspect, json, sys
import briefing
star = {}
exec("from briefing import *", star)
star.pop("__builtins__", None)

def home(name, value):
    module = getattr(value, "__module__", None)
    if module is not None and getattr(sys.modules.get(module), name, None) is value:
        return module
    for module_name, module in sorted(sys.modules.items()):
        if module_name.startswith("briefing.") and getattr(module, name, None) is value:
            return module_name
    return None

unlisted = sorted(
    name
    for name in dir(briefing)
    if not name.startswith("_")
    and name not in briefing.__all__
    and not inspect.ismodule(value := getattr(briefing, name))
    and (home(name, value) or "").startswith("briefing.")
)
print(json.dumps({
    "all": list(briefing.__all__),
    "star": sorted(star),
    "homes": {name: home(name, value) for name, value in star.items()},
    "unlisted": unlisted,
}))
"""


def test_all_lists_exactly_the_public_names() -> None:
    """`from briefing import *` gives exactly `__all__`, each name the object its own module defines."""
    run = subprocess.run(
        [sys.executable, "-c", SURFACE], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    surface = json.loads(run.stdout)
    listed = surface["all"]
    assert len(listed) == len(set(listed)), "a name is listed twice in __all__"
    assert surface["star"] == sorted(listed)
    not_ours = {
        name: home for name, home in surface["homes"].items() if not (home or "").startswith("briefing.")
    }
    assert not_ours == {}, "each public name must be defined in a briefing module"
    assert surface["unlisted"] == [], "public names missing from __all__"


def test_checked_in_schemas_match_the_models() -> None:
    for name, text in schema_texts().items():
        path = ROOT / "schemas" / name
        assert path.exists(), f"{name} missing: run python -m briefing.schemas"
        assert path.read_text(encoding="utf-8") == text, f"{name} drifted: run python -m briefing.schemas"
        assert json.loads(text)["type"] == "object"


def test_package_ships_type_marker_and_templates() -> None:
    package = Path(briefing.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "render" / "templates" / "brief.md.j2").exists()
