"""The probe programs per language: TOML data files, rendered with their placeholders filled.

``snippets/<language>.toml`` holds ``prelude``, ``hello``, ``echo`` and ``[probes]``; a
team adds a language by adding a file (or pointing ``extra_dirs`` at its own folder).
Placeholders: ``@@NAME@@`` inserts a number or a plain word (letters, digits, ``._:-``) as
it is, for use inside the program's own quotes; ``%%NAME%%`` inserts any value (text, a list
of strings) as a literal in the file's ``literals`` style.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SNIPPET_DIR = Path(__file__).resolve().parent / "snippets"
_PLACEHOLDER = re.compile(r"@@([A-Z][A-Z_]*)@@|%%([A-Z][A-Z_]*)%%")
_PLAIN = re.compile(r"^[A-Za-z0-9._:-]*$")
Literal = str | int | float | bool | Sequence[str]


class SnippetError(ValueError):
    """A snippet file that cannot be used; the message names the file and the fix."""


def literal(value: Literal, style: str) -> str:
    """``value`` written as a literal of the language style ``python``, ``php`` or ``json``."""
    if isinstance(value, bool):
        if style == "python":
            return "True" if value else "False"
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if style == "python":
            return repr(value)
        if style == "php":
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        import json

        return json.dumps(value)
    return "[" + ", ".join(literal(item, style) for item in value) + "]"


@dataclass(frozen=True, slots=True)
class Snippets:
    """One language's probe programs."""

    language: str
    literals: str
    prelude: str
    hello: str
    echo: str
    probes: Mapping[str, str]
    source: Path

    def has(self, probe: str) -> bool:
        return probe in self.probes

    def render(self, probe: str, values: Mapping[str, Literal]) -> str:
        """The prelude plus the probe's program, placeholders filled."""
        if probe not in self.probes:
            raise SnippetError(f"{self.source} has no program for probe {probe!r}")
        return self._fill(self.prelude + self.probes[probe], values, probe)

    def render_echo(self, text: str, error_text: str) -> str:
        """A program that prints ``text`` and then fails with ``error_text``."""
        return self._fill(self.echo, {"TEXT": text, "ERROR_TEXT": error_text}, "echo")

    def _fill(self, code: str, values: Mapping[str, Literal], what: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if name not in values:
                raise SnippetError(
                    f"{self.source}: {what} uses the placeholder {name}, which the probe does "
                    f"not provide (it provides: {', '.join(sorted(values)) or 'nothing'})"
                )
            value = values[name]
            if match.group(2):
                return literal(value, self.literals)
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise SnippetError(f"{self.source}: write %%{name}%% for a list, not @@{name}@@")
            text = str(value)
            if not _PLAIN.match(text):
                raise SnippetError(f"{self.source}: write %%{name}%% for free text, not @@{name}@@")
            return text

        return _PLACEHOLDER.sub(one, code)


def load_snippets(path: Path) -> Snippets:
    """Read and check one language file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SnippetError(f"{path}: cannot read it as TOML: {exc}") from exc
    missing = [key for key in ("language", "prelude", "hello", "echo", "probes") if key not in data]
    if missing:
        raise SnippetError(f"{path}: missing key(s) {', '.join(missing)}; see python.toml")
    style = str(data.get("literals", "json"))
    if style not in ("python", "php", "json"):
        raise SnippetError(f"{path}: literals = {style!r}; use 'python', 'php' or 'json'")
    probes = data["probes"]
    if not isinstance(probes, dict) or not all(isinstance(v, str) for v in probes.values()):
        raise SnippetError(f"{path}: [probes] must map probe names to program text")
    return Snippets(
        language=str(data["language"]),
        literals=style,
        prelude=str(data["prelude"]),
        hello=str(data["hello"]),
        echo=str(data["echo"]),
        probes=dict(probes),
        source=path,
    )


def snippets_for(languages: Iterable[str], extra_dirs: Sequence[Path] = ()) -> dict[str, Snippets]:
    """The snippet files of ``languages`` (a team's folders first); unknown ones left out."""
    found: dict[str, Snippets] = {}
    for language in languages:
        for folder in (*extra_dirs, SNIPPET_DIR):
            path = folder / f"{language}.toml"
            if path.is_file():
                found[language] = load_snippets(path)
                break
    return found
