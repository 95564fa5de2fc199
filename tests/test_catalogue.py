"""The text catalogue is complete and compiled: every message of the code, templates and
shipped catalogues has its Italian translation, and the .mo files match the .po files."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from accessibility.i18n import _, use_language
from accessibility.model.barriers import taxonomy
from realdata import ROOT


@pytest.fixture(scope="module")
def messages():
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["messages"] = module
    spec.loader.exec_module(module)
    return module


def test_every_message_has_its_italian_and_the_compiled_files_are_fresh(messages) -> None:
    assert messages.problems() == []


def test_catalogue_labels_read_in_both_languages() -> None:
    with use_language("it"):
        italian = {k: _(kind.label) for k, kind in taxonomy().items()}
    with use_language("en"):
        english = {k: _(kind.label) for k, kind in taxonomy().items()}
    assert italian["steps"] == "Gradini" and english["steps"] == "Steps"
    assert all(italian[k] != english[k] for k in italian)
