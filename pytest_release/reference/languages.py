"""The interpreters the sandbox can run, and how to turn their error output into one message.

Each language says which system binary runs it, which host files it needs to see, how to invoke
it on a script, and how to split its stderr into ordinary output and the user's error. The
sandbox mechanism itself (``sandbox.py``) knows nothing about Python or PHP.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from pytest_release.reference.sandbox_limits import Limits, memory_message

__all__ = ["PHP", "PYTHON", "Failure", "Language", "installed_languages"]


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed program's stderr, split into what the user printed and what went wrong."""

    kept: str  # stderr that is ordinary output (prints to stderr, warnings)
    error: str | None  # the user's error message; None when stderr holds none
    memory: bool = False  # the error is the interpreter running out of memory


@dataclass(frozen=True, slots=True)
class Language:
    """One interpreter: where it lives, what it needs, how to run it and read its errors."""

    name: str
    binary: str
    filename: str  # the script's name inside the scratch area; appears in error messages
    host_paths: tuple[str, ...]  # host files/dirs (besides /usr) the interpreter reads
    min_memory_mb: int  # below this address-space limit the interpreter cannot even start
    build_command: Callable[[str, str, Limits], list[str]]  # (binary, script, limits) → argv
    prepare: Callable[[str], str]  # source as typed on the page → source to run
    explain: Callable[[str, str, Limits], Failure]  # (stderr, script, limits) → Failure

    def command(self, script: str, limits: Limits) -> list[str]:
        """The argv that runs ``script`` with this interpreter."""
        return self.build_command(self.binary, script, limits)

    def available(self) -> bool:
        """Whether the interpreter is installed on this machine."""
        return os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)


# Hints appended to an OS error the user's code hit, when the cause is one of our limits:
# "[Errno 27] File too large" alone does not tell a person that the sandbox set the size.
_ERRNO_HINTS: dict[int, Callable[[Limits], str]] = {
    11: lambda lim: f"the sandbox allows {lim.processes} processes",
    24: lambda lim: f"the sandbox allows {lim.open_files} open files",
    27: lambda lim: f"the sandbox allows files up to {lim.file_size_kb} KB",
    28: lambda lim: f"the scratch directory holds {lim.scratch_bytes // 1024} KB",
}
_ERRNO = re.compile(r"\[Errno (\d+)\]")


def _with_limit_hint(message: str, limits: Limits) -> str:
    match = _ERRNO.search(message)
    if match is None or int(match.group(1)) not in _ERRNO_HINTS:
        return message
    return f"{message} ({_ERRNO_HINTS[int(match.group(1))](limits)})"


def _tidy(text: str, script: str, filename: str) -> str:
    # The script's path inside the sandbox means nothing to the person who typed the code.
    return text.replace(script, filename)


# --- Python -------------------------------------------------------------------------------

_PY_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)')
_PY_TRACEBACK = "Traceback (most recent call last):"


def _python_command(binary: str, script: str, limits: Limits) -> list[str]:
    # -I: ignore PYTHON* variables, the user site and the script's directory. -S: skip the site
    # module, which halves the interpreter's start-up (about 15 ms per run) and adds no
    # packages; the price is that the REPL helpers exit()/quit() are missing (sys.exit works).
    # The server's venv is never used: this is the system interpreter.
    return [binary, "-I", "-S", script]


def _python_explain(stderr: str, script: str, limits: Limits) -> Failure:
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(_PY_TRACEBACK)), None)
    if start is None:
        # A syntax error in the script itself is reported without the "Traceback" header.
        start = next(
            (
                i
                for i, line in enumerate(lines)
                if (m := _PY_FRAME.match(line)) and m.group("file") == script
            ),
            None,
        )
    if start is None:
        return Failure(kept=stderr, error=None)
    block = lines[start:]
    frames = [i for i, line in enumerate(block) if _PY_FRAME.match(line)]
    user_lines = [
        m.group("line")
        for line in block
        if (m := _PY_FRAME.match(line)) and m.group("file") == script
    ]
    # The exception text starts at the first unindented line after the last frame; the indented
    # lines in between are the source excerpt and the caret markers.
    exception: list[str] = []
    for line in block[(frames[-1] + 1 if frames else 1) :]:
        if exception or (line and not line.startswith(" ")):
            exception.append(line)
    text = _tidy("\n".join(exception).strip(), script, "main.py") or "The program failed"
    memory = text.startswith("MemoryError")
    text = _with_limit_hint(text, limits)
    if user_lines:
        text = f"{text} (line {user_lines[-1]})"
    kept = _tidy("\n".join(lines[:start]), script, "main.py")
    return Failure(kept=kept, error=memory_message(limits, text) if memory else text, memory=memory)


PYTHON = Language(
    name="python",
    binary="/usr/bin/python3",
    filename="main.py",
    host_paths=(),
    min_memory_mb=32,
    build_command=_python_command,
    prepare=lambda code: code,
    explain=_python_explain,
)


# --- PHP ----------------------------------------------------------------------------------

_PHP_FATAL = re.compile(
    r"^(?:PHP )?(?:Fatal error|Parse error|Recoverable fatal error|Catchable fatal error): "
)
_PHP_MEMORY = ("Allowed memory size of", "Out of memory")


def _php_command(binary: str, script: str, limits: Limits) -> list[str]:
    # PHP maps about 70 MB of address space before running a line (libicudata alone is ~30 MB).
    # Its own memory_limit therefore sits 80 MB below the address-space rlimit, so a memory hog
    # meets PHP's clear "Allowed memory size ... exhausted" rather than a bare "mmap() failed".
    return [
        binary,
        "-d",
        "display_errors=stderr",  # errors to stderr so they can be split from the output
        "-d",
        "log_errors=0",  # otherwise each error is printed twice
        "-d",
        "html_errors=0",
        "-d",
        f"memory_limit={max(limits.memory_mb - 80, 16)}M",
        "-d",
        "opcache.enable_cli=0",  # nothing to cache in a one-shot run; saves startup memory
        script,
    ]


def _php_prepare(code: str) -> str:
    # Snippets on a page often omit the opening tag; without it PHP would echo the code back.
    # Same line, so the line numbers in error messages match what the user sees.
    return code if code.lstrip().startswith("<?") else "<?php " + code


def _php_explain(stderr: str, script: str, limits: Limits) -> Failure:
    lines = stderr.splitlines()
    memory = any(marker in stderr for marker in _PHP_MEMORY)
    start = next((i for i, line in enumerate(lines) if _PHP_FATAL.match(line)), None)
    if start is None:
        kept = _tidy(stderr, script, "main.php")
        return Failure(kept=kept, error=memory_message(limits) if memory else None, memory=memory)
    # Only the first line: the rest is PHP's stack trace ("#0 {main}", "thrown in ...").
    error = _tidy(lines[start].removeprefix("PHP "), script, "main.php")
    kept = _tidy("\n".join(lines[:start]).rstrip("\n"), script, "main.php")
    return Failure(
        kept=kept, error=memory_message(limits, error) if memory else error, memory=memory
    )


PHP = Language(
    name="php",
    binary="/usr/bin/php",  # Debian php-cli; a symlink through /etc/alternatives
    filename="main.php",
    host_paths=("/etc/alternatives", "/etc/php"),
    min_memory_mb=96,
    build_command=_php_command,
    prepare=_php_prepare,
    explain=_php_explain,
)


def installed_languages() -> dict[str, Language]:
    """The languages whose interpreter exists on this machine, by name."""
    return {lang.name: lang for lang in (PYTHON, PHP) if lang.available()}
