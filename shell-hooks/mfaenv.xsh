# mfaenv hook for xonsh. Load it from ~/.xonshrc with:
#     exec($(mfaenv init xonsh))             # add --prompt to put {mfaenv} in $PROMPT
# Then `mfaenv login` / `mfaenv logout` change this shell, and the prompt field
# {mfaenv} reads `aws:work 11h52m`, computed in xonsh's own Python: no process.
# Plain Python (xonsh's `${...}` is spelled __xonsh__.env), so Python's parser
# and linters read it too.

import subprocess as _mfaenv_subprocess
import time as _mfaenv_time


def _mfaenv_digits(value):
    value = str(value)
    return value.isascii() and value.isdigit()


def _mfaenv_run(argv, **kwargs):
    # The environment is xonsh's, which os.environ does not follow.
    return _mfaenv_subprocess.run(argv, env=__xonsh__.env.detype(), **kwargs)  # noqa: F821


# For login/logout, runs the real program and executes its output only if it
# succeeded, keeping its exit status; everything else passes through, to the
# streams xonsh hands the alias (so `$(...)`, pipes and redirects work). The
# output is read by subprocess.run, not `$(...)`: xonsh's threaded capture can
# lose a fast child's output under load. Threadable on purpose: xonsh 0.13
# hangs an unthreadable alias in a pipeline. The code prompt uses /dev/tty.
def _mfaenv_alias(args, stdin=None, stdout=None, stderr=None):
    verb = args[0] if args else ""
    if verb not in ("login", "logout") or "--help" in args or "-h" in args:
        return _mfaenv_run(["mfaenv", *args], stdin=stdin, stdout=stdout, stderr=stderr).returncode
    argv = ["mfaenv", verb, "--shell", "xonsh", *args[1:]]
    done = _mfaenv_run(argv, stdin=stdin, stdout=_mfaenv_subprocess.PIPE, stderr=stderr)
    if done.returncode == 0:
        # Plain Python (see mfaenv/shells/xonsh.py): exec, which never retries
        # a broken line as a command the way execx does.
        exec(done.stdout.decode("utf-8"), {})
    return done.returncode


# The prompt segment: empty without a session.
def _mfaenv_prompt():
    env = __xonsh__.env  # noqa: F821
    expires = env.get("MFAENV_EXPIRES", "")
    if not _mfaenv_digits(expires):
        return ""
    left = int(expires) - int(_mfaenv_time.time())
    warn = env.get("MFAENV_WARN", "")
    warn = int(warn) * 60 if _mfaenv_digits(warn) else 900
    if left <= 0:
        text = "expired"
    elif left >= 3600:
        text = "%dh%02dm" % (left // 3600, left % 3600 // 60)
    elif left >= 60:
        text = "%dm" % (left // 60)
    else:
        text = "<1m"
    # Braces would read as xonsh colour fields: a profile name keeps none.
    profile = str(env.get("MFAENV_PROFILE", "") or "?").replace("{", "(").replace("}", ")")
    segment = "aws:%s %s" % (profile, text)
    colour = "RED" if left <= 0 else "YELLOW" if left < warn else ""
    if colour and not env.get("NO_COLOR", ""):
        return "{%s}%s{RESET}" % (colour, segment)
    return segment


# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session, asking for the code; Ctrl-C or a failure leaves the
# shell as it was (the wrapper runs nothing unless login succeeded).
def _mfaenv_auto_login(**_):
    env = __xonsh__.env  # noqa: F821
    global _mfaenv_auto_tried
    expires = env.get("MFAENV_EXPIRES", "")
    if env.get("MFAENV_AUTO_LOGIN", "") != "1" or not _mfaenv_digits(expires) or int(expires) > _mfaenv_time.time():
        return
    if _mfaenv_auto_tried == expires:
        return
    _mfaenv_auto_tried = env.get("MFAENV_EXPIRES", "")
    profile = env.get("MFAENV_PROFILE", "") or "default"
    print("mfaenv: the session of %s has expired; logging in again" % profile, file=__import__("sys").stderr)
    try:
        _mfaenv_alias(["login", "--profile", profile], stderr=__import__("sys").stderr)
    except KeyboardInterrupt:
        pass


# Puts {mfaenv} in front of $PROMPT (only with `mfaenv init xonsh --prompt`).
def _mfaenv_install_prompt():
    env = __xonsh__.env  # noqa: F821
    user = env.get("PROMPT", "")
    if callable(user):
        if not getattr(user, "_mfaenv", False):
            wrapped = lambda: "{mfaenv:{} }" + user()  # noqa: E731
            wrapped._mfaenv = True
            env["PROMPT"] = wrapped
    elif "{mfaenv" not in user:
        env["PROMPT"] = "{mfaenv:{} }" + user


_mfaenv_auto_tried = ""
aliases["mfaenv"] = _mfaenv_alias  # noqa: F821
__xonsh__.env["PROMPT_FIELDS"]["mfaenv"] = _mfaenv_prompt  # noqa: F821
# Loading twice registers once (each load runs in fresh globals, so the mark is
# on the handler). The event is the one fired before the prompt is formatted,
# so the prompt already shows the new session.
_mfaenv_auto_login._mfaenv = True
if not any(getattr(h, "_mfaenv", False) for h in events.on_pre_prompt_format):  # noqa: F821
    events.on_pre_prompt_format(_mfaenv_auto_login)  # noqa: F821
