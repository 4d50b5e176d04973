"""``pytest-release``: the console command.

One function per subcommand, registered in ``SUBCOMMANDS`` (name -> (setup, handler)):
``setup(parser)`` adds the subcommand's options, ``handler(args) -> int`` runs it. To add
a subcommand, write the two functions and add one line to ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Setup = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


# --- serve -----------------------------------------------------------------------------


def _setup_serve(parser: argparse.ArgumentParser) -> None:
    from pytest_release.reference.server import add_serve_arguments

    add_serve_arguments(parser)


def _serve(args: argparse.Namespace) -> int:
    from pytest_release.reference.server import serve

    return serve(args)


# --- maintenance -----------------------------------------------------------------------


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the reference deployment's state directory (default: as `serve` uses)",
    )


def _setup_maintenance(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["on", "off", "status", "announce"])
    _data_dir_option(parser)
    parser.add_argument("--message", default=None, help="what users see (on) or the banner text")
    parser.add_argument(
        "--retry-after", type=int, default=None, help="seconds clients should wait (on)"
    )
    parser.add_argument("--start", default=None, help="announce: window start (ISO 8601)")
    parser.add_argument("--end", default=None, help="announce: window end (ISO 8601)")
    parser.add_argument("--clear", action="store_true", help="announce: withdraw the banner")


def _maintenance(args: argparse.Namespace) -> int:
    from pytest_release.reference import maintenance
    from pytest_release.reference.settings import (
        DEFAULT_WINDOW_MESSAGE,
        MaintenanceWindow,
        SettingsError,
        default_data_dir,
        parse_when,
    )

    data_dir = args.data_dir or default_data_dir()
    try:
        if args.action == "on":
            state = maintenance.set_maintenance(
                data_dir, True, message=args.message, retry_after_s=args.retry_after
            )
        elif args.action == "off":
            state = maintenance.set_maintenance(data_dir, False)
        elif args.action == "announce":
            if args.clear:
                state = maintenance.announce_window(data_dir, None)
            elif not (args.start and args.end):
                print("maintenance announce: give --start and --end (or --clear)", file=sys.stderr)
                return 2
            else:
                window = MaintenanceWindow(
                    parse_when(args.start, name="--start"),
                    parse_when(args.end, name="--end"),
                    args.message or DEFAULT_WINDOW_MESSAGE,
                )
                if window.end <= window.start:
                    print("maintenance announce: --end must be after --start", file=sys.stderr)
                    return 2
                state = maintenance.announce_window(data_dir, window)
        else:
            state = maintenance.read_state(data_dir)
    except (SettingsError, ValueError, OSError) as exc:
        print(f"pytest-release maintenance: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"data_dir": str(data_dir), **state.to_json()}, indent=2))
    return 0


# --- backup ----------------------------------------------------------------------------


def _setup_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["create", "verify", "restore"])
    parser.add_argument("path", nargs="?", type=Path, help="backup directory (verify, restore)")
    _data_dir_option(parser)
    parser.add_argument("--dest", type=Path, default=None, help="create: where to write it")
    parser.add_argument(
        "--files-to", type=Path, default=None, help="restore: also restore app files here"
    )


def _backup(args: argparse.Namespace) -> int:
    import os

    from pytest_release.reference import backup
    from pytest_release.reference.settings import default_data_dir

    data_dir = args.data_dir or default_data_dir()
    url = os.environ.get("DATABASE_URL") or None
    try:
        if args.action == "create":
            path = backup.create_backup(data_dir, args.dest, database_url=url)
            print(json.dumps({"backup": str(path)}))
            return 0
        if args.path is None:
            print(f"backup {args.action}: give the backup directory", file=sys.stderr)
            return 2
        if args.action == "verify":
            report = backup.verify_backup(args.path)
        else:
            report = backup.restore_backup(
                args.path, data_dir, database_url=url, files_to=args.files_to
            )
    except backup.BackupError as exc:
        print(f"pytest-release backup: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_json(), indent=2))
    return 0 if report.ok else 1


# --- rehearse (pytest_release/rehearsal/command.py) ------------------------------------


def _setup_rehearse(parser: argparse.ArgumentParser) -> None:
    from pytest_release.rehearsal.command import setup_rehearse

    setup_rehearse(parser)


def _rehearse(args: argparse.Namespace) -> int:
    from pytest_release.rehearsal.command import run_rehearse

    return run_rehearse(args)


# --- registry --------------------------------------------------------------------------

# --- checklist -------------------------------------------------------------------------


def _setup_checklist(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", type=Path, default=None, help="default: as pytest would use it"
    )
    parser.add_argument("--json", action="store_true", help="print the parsed items as JSON")


def _checklist(args: argparse.Namespace) -> int:
    from pytest_release.checklist.show import show
    from pytest_release.settings import ConfigError, build_settings, read_pyproject

    root = Path.cwd()
    try:
        settings = build_settings(root, read_pyproject(root), lambda _: None, lambda _: None)
    except ConfigError as exc:
        print(f"pytest-release checklist: {exc}", file=sys.stderr)
        return 2
    code, text = show(
        args.path or settings.checklist, settings.parse_options, json_output=args.json
    )
    print(text, file=sys.stderr if code else sys.stdout)
    return code


# --- dossier, keygen, sign, verify (pytest_release/dossier/commands.py) ------------------


def _setup_dossier(parser: argparse.ArgumentParser) -> None:
    from pytest_release.dossier.commands import setup_dossier

    setup_dossier(parser)


def _dossier(args: argparse.Namespace) -> int:
    from pytest_release.dossier.commands import run_dossier

    return run_dossier(args)


def _setup_keygen(parser: argparse.ArgumentParser) -> None:
    from pytest_release.dossier.commands import setup_keygen

    setup_keygen(parser)


def _keygen(args: argparse.Namespace) -> int:
    from pytest_release.dossier.commands import run_keygen

    return run_keygen(args)


def _setup_sign(parser: argparse.ArgumentParser) -> None:
    from pytest_release.dossier.commands import setup_sign

    setup_sign(parser)


def _sign(args: argparse.Namespace) -> int:
    from pytest_release.dossier.commands import run_sign

    return run_sign(args)


def _setup_verify(parser: argparse.ArgumentParser) -> None:
    from pytest_release.dossier.commands import setup_verify

    setup_verify(parser)


def _verify(args: argparse.Namespace) -> int:
    from pytest_release.dossier.commands import run_verify

    return run_verify(args)


SUBCOMMANDS: dict[str, tuple[str, Setup, Handler]] = {
    "checklist": ("lint a checklist and list its items", _setup_checklist, _checklist),
    "serve": ("run the reference deployment", _setup_serve, _serve),
    "maintenance": (
        "switch maintenance mode on/off, show it, or announce a window",
        _setup_maintenance,
        _maintenance,
    ),
    "backup": ("create, verify or restore a backup", _setup_backup, _backup),
    "rehearse": (
        "run the whole schedule against the reference deployment on this machine",
        _setup_rehearse,
        _rehearse,
    ),
    "dossier": ("merge the phase runs of a release into one document", _setup_dossier, _dossier),
    "keygen": ("make an Ed25519 key pair for signing dossiers", _setup_keygen, _keygen),
    "sign": ("sign a dossier.json for a role", _setup_sign, _sign),
    "verify": ("check every signature of a dossier.json and its integrity", _setup_verify, _verify),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per entry of SUBCOMMANDS."""
    parser = argparse.ArgumentParser(
        prog="pytest-release",
        description="Your deployment checklist, executable and signed.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (help_text, setup, handler) in SUBCOMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        setup(child)
        child.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pytest-release` command."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
