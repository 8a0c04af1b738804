import json
from pathlib import Path

import briefing
from briefing.schemas import schema_texts

ROOT = Path(__file__).resolve().parent.parent


def test_all_lists_exactly_the_public_names() -> None:
    for name in dir(briefing):  # the public names load on first use
        getattr(briefing, name)
    public = {
        name
        for name, value in vars(briefing).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("briefing")
    }
    public |= {name for name in vars(briefing) if name.isupper() and not name.startswith("_")}
    assert sorted(briefing.__all__) == sorted(public)
    for name in briefing.__all__:
        assert hasattr(briefing, name)


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
