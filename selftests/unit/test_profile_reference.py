"""docs/profile.md is the profile models' own description: regenerated, it is unchanged. A field
added to the models in monitor/profile/ without regenerating it (python -m monitor.profile.reference >
docs/profile.md) fails here."""

from __future__ import annotations

from pathlib import Path

from monitor.profile import Profile
from monitor.profile.reference import reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "profile.md"


def test_the_profile_reference_is_generated_from_the_models_and_in_sync():
    assert DOC.read_text() == reference(), "regenerate: python -m monitor.profile.reference > docs/profile.md"


def test_every_field_and_table_of_the_models_is_in_the_reference():
    text = reference()
    for name, field in Profile.model_fields.items():
        assert f"| `{name}` |" in text, name
        if field.description:
            assert " ".join(field.description.split()) in text
    for table in (
        "`[[services.<name>.health]]`",
        "`services.<name>.security`",
        "`[[rate_limits]]`",
        "`[[alerts.channels]]`",
    ):
        assert f"## {table}" in text, table
