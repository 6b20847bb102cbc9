"""Entry point: the fast path when it applies, else click; one line per failure.

Every command that prints shell code builds the whole text first and writes
it in one write at the end, so a failure anywhere leaves stdout empty and
`eval "$(mfaenv login)"` applies nothing.
"""

from __future__ import annotations

import os
import sys

from mfaenv.errors import Exit, MfaenvError, PipeClosed

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NoReturn


def run(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = _dispatch(args)
    except MfaenvError as e:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"mfaenv: {e.message}", file=sys.stderr)
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


def _dispatch(args: list[str]) -> int:
    if not os.environ.get("MFAENV_NO_FAST"):
        from mfaenv import fast

        parsed = fast.parse(args)
        if parsed is not None:
            return fast.run(*parsed)
    return _click(args)


def _click(args: list[str]) -> int:
    import click

    from mfaenv.cli import main

    if not args:
        # Help for a person, on stderr: stdout may be going to an eval.
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
        hint = f"; see `{e.ctx.command_path} --help`" if isinstance(e, click.UsageError) and e.ctx else ""
        print(f"mfaenv: {e.format_message().rstrip('.')}{hint}", file=sys.stderr)
        return int(Exit.INPUT)
    except click.Abort:
        print("mfaenv: interrupted", file=sys.stderr)
        return 130
