"""The messages click itself prints (usage errors, "Error:", "Usage:"), written here exactly
as click writes them so that they enter the text catalogue and reach Italian users in
Italian: click asks the standard library's gettext for them in the domain ``messages``,
which :func:`accessibility.i18n.install_for_click` binds to our catalogue. Nothing calls
these at run time; ``scripts/messages.py`` extracts them.
"""

from __future__ import annotations

from accessibility.i18n import N_, ngettext

__all__ = ["CLICK_MESSAGES"]

#: click's messages (click 8.x), for the catalogue.
CLICK_MESSAGES = (
    N_("Error: {message}"),
    N_("Usage:"),
    N_("Aborted!"),
    N_("Try '{command} {option}' for help."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument"),
    N_("Missing command."),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing parameter: {param_name}"),
    N_("Missing {param_type}"),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Option {name!r} does not take a value."),
    N_("Could not open file {filename!r}: {message}"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("Options"),
    N_("Commands"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
)


def _plurals() -> None:  # pragma: no cover - only read by the extractor
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
