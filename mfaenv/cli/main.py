"""Entry point: the fast path when it applies, else click; one line per failure.

Every command that prints shell code builds the whole text first and writes
it in one write at the end, so a failure anywhere leaves stdout empty and
`eval "$(mfaenv login)"` applies nothing.
"""

from __future__ import annotations

import os
import sys

from mfaenv.errors import Exit, MfaenvError, PipeClosed, oneline

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NoReturn

    import click


def run(argv: list[str] | None = None) -> NoReturn:
    # Started with `2>&-` or `<&-`: /dev/null in their place, as `2>/dev/null` would be. Else print(file=None)
    # puts every message on stdout, and sys.stdin.isatty() raises. (A closed stdout: output.write says so.)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - open until the process exits
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115
    args, debug = split_debug(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(args)
    except MfaenvError as e:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"mfaenv: {oneline(e.message)}", file=sys.stderr)
        code = int(e.code)
    except KeyboardInterrupt:
        print("\nmfaenv: interrupted", file=sys.stderr)
        code = 130
    except (BrokenPipeError, PipeClosed):
        # The reader went away; nothing useful to say, and stderr may be gone too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    except Exception as e:  # noqa: BLE001 - a bug: no traceback (it could hold values) unless asked
        if debug:
            raise
        print(f"mfaenv: internal error ({type(e).__name__}); rerun with --debug and report it", file=sys.stderr)
        code = int(Exit.INTERNAL)
    sys.exit(code)


def split_debug(args: list[str]) -> tuple[list[str], bool]:
    """argv without `--debug`, wherever it was written (`mfaenv --debug login`, `mfaenv login --debug`).

    Not after `--`, nor inside exec's command: `mfaenv exec -- tool --debug` is the tool's flag.
    """
    out: list[str] = []
    debug = False
    command: str | None = None
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            out.append(arg)
            out.extend(rest)
            break
        if arg == "--debug":
            debug = True
            continue
        out.append(arg)
        if command is None and not arg.startswith("-"):
            command = arg
            if command == "exec":
                from mfaenv.cli import execute

                head, child = execute.split(list(rest))
                words = iter(head)
                for word in words:
                    if word == "--debug":
                        debug = True
                        continue
                    out.append(word)
                    if word in execute.VALUE_OPTIONS:  # its value, even one spelt --debug
                        out.extend(w for w in (next(words, None),) if w is not None)
                out.extend(["--", *child] if child else [])
                break
    return out, debug


def _dispatch(args: list[str]) -> int:
    if not os.environ.get("MFAENV_NO_FAST"):
        from mfaenv.cli import fast

        parsed = fast.parse(args)
        if parsed is not None:
            return fast.run(*parsed)
    return _click(args)


def _misplaced(e: Exception, args: list[str], group: click.Group) -> str | None:
    """For `mfaenv --profile work login`: which command the option belongs to, and where it goes."""
    import click

    if not isinstance(e, click.NoSuchOption) or e.ctx is None or e.ctx.command is not group:
        return None
    name = e.option_name
    owners = [n for n, c in group.commands.items() if any(name in p.opts for p in c.params)]
    if not owners:
        return None
    given = next((a for a in args if a in group.commands), None)
    target = given if given in owners else owners[0]
    return f"{name} is an option of `mfaenv {target}`: put it after the command, as in `mfaenv {target} {name} ...`"


def _click(args: list[str]) -> int:
    import click

    from mfaenv.cli.app import main

    if not args and not os.environ.get("_MFAENV_COMPLETE"):
        # Help for a person, on stderr: stdout may be going to an eval.
        # (Shell completion runs with no arguments: click reads COMP_WORDS.)
        with click.Context(main, info_name="mfaenv") as ctx:
            print(ctx.get_help(), file=sys.stderr)
        return int(Exit.INPUT)
    try:
        # Without standalone mode, click returns a command's Exit code instead of raising it.
        result = main.main(args=args, prog_name="mfaenv", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        misplaced = _misplaced(e, args, main)
        hint = f"; see `{e.ctx.command_path} --help`" if isinstance(e, click.UsageError) and e.ctx else ""
        print(f"mfaenv: {oneline(misplaced or e.format_message().rstrip('.') + hint)}", file=sys.stderr)
        return int(Exit.INPUT)
    except click.Abort:
        print("mfaenv: interrupted", file=sys.stderr)
        return 130
