# mfaenv hook for fish. Load it from ~/.config/fish/config.fish with:
#     mfaenv init fish | source        # add --prompt to put the segment in fish_prompt
# Then `mfaenv login` / `mfaenv logout` change this shell, and `mfaenv_prompt`
# prints the prompt segment (`aws:work 11h52m`). fish runs functions and
# builtins without forking, and the clock is read with a builtin (below), so a
# prompt starts no process.

# Runs the real program; for login/logout, evaluates its output only if it
# succeeded, and keeps its exit status. The subcommand may follow global
# options (`mfaenv --debug login`): they stay where the user wrote them, and
# `--shell fish` goes right after the subcommand.
function mfaenv --description 'AWS MFA sessions in this shell'
    set -l i 1
    while test "$argv[$i]" = --debug
        set i (math $i + 1)
    end
    switch "$argv[$i]"
        case login logout
            # Help is for reading, not for source; inside `(...)` the statements
            # must reach stdout (the user's own `eval (mfaenv login)`).
            if contains -- --help $argv; or contains -- -h $argv; or status is-command-substitution
                command mfaenv $argv
                return
            end
            set -l out (command mfaenv $argv[1..$i] --shell fish $argv[(math $i + 1)..-1] | string collect)
            set -l rc $pipestatus[1]
            if test $rc -eq 0
                printf '%s\n' $out | source
            end
            return $rc
        case '*'
            command mfaenv $argv
    end
end

# Sets _mfaenv_now to two numbers whose sum is the time, epoch seconds (the
# caller's `math` adds them); fails if it cannot. fish has no clock builtin,
# but `path mtime --relative` (fish 3.5) prints now minus a file's mtime: with
# the mtime, the time. The folder is fish's own (no one else writes there),
# read twice so that a change in between is seen. Where that fails, `date`.
function _mfaenv_read_clock
    set -l d $__fish_data_dir
    set -g _mfaenv_now (path mtime -- $d; path mtime --relative -- $d; path mtime -- $d)
    if set -q _mfaenv_now[3]; and test "$_mfaenv_now[1]" = "$_mfaenv_now[3]"
        set -e _mfaenv_now[3]
    else
        set -g _mfaenv_now (date +%s) 0
    end
    set -q _mfaenv_now[2]; and not string match -qvr '^-?[0-9]{1,12}\z' -- $_mfaenv_now
end
if not contains -- path (builtin -n)
    # fish 3.4 or older: no `path`.
    function _mfaenv_read_clock
        set -g _mfaenv_now (date +%s) 0
        string match -qr '^[0-9]{1,12}\z' -- "$_mfaenv_now[1]"
    end
end

# Every variable the hook reads is input: only a plain decimal (no leading
# zero, bounded) reaches `math` or `test`, and only a profile name of letters,
# digits and `._@+=,:/-` the segment; any other value shows no segment.
# A command substitution costs more than what runs in it, so there are two:
# the clock's, and one for all the arithmetic; colours are written directly.
# The checks and the arithmetic cost more than the rest, and the values change
# once a login, the text once a minute: so the segment is computed again
# (_mfaenv_segment) only when a value differs from the last ones that passed
# (each compared alone and exactly, by `contains`) or the minute changed; else
# the text computed then is printed. The memo _mfaenv_ok is this shell's own:
# erased below as the hook loads, so the environment cannot bring one.
function mfaenv_prompt --description 'Print the mfaenv prompt segment'
    set -l last $status
    # No session: nothing to check or show.
    test -n "$MFAENV_EXPIRES"; or return $last
    if set -q _mfaenv_ok[9]
        and contains -- "$MFAENV_EXPIRES" $_mfaenv_ok[1]
        and contains -- "$MFAENV_PROFILE" $_mfaenv_ok[2]
        and contains -- "$MFAENV_WARN" $_mfaenv_ok[3]
        and contains -- "$NO_COLOR" $_mfaenv_ok[4]
        and _mfaenv_read_clock
        and test "$_mfaenv_now[1]" = $_mfaenv_ok[5] -a "$_mfaenv_now[2]" -ge $_mfaenv_ok[6] -a "$_mfaenv_now[2]" -le $_mfaenv_ok[7]
        _mfaenv_print $_mfaenv_ok[8] $_mfaenv_ok[9]
        return $last
    end
    _mfaenv_segment $last
end
# Global and not exported: it shadows any universal or inherited one.
set -e -g _mfaenv_ok
set -gu _mfaenv_ok

function _mfaenv_segment
    set -l last $argv[1]
    set -g _mfaenv_ok
    set -l profile "$MFAENV_PROFILE"
    test -n "$profile"; or set profile '?'
    string match -qr '^[1-9][0-9]{0,11}\z' -- "$MFAENV_EXPIRES"
    and string match -qr '^(\?|[A-Za-z0-9._@+=,:/-]{1,128})\z' -- $profile
    and _mfaenv_read_clock
    or return $last
    set -l left "($MFAENV_EXPIRES - $_mfaenv_now[1] - $_mfaenv_now[2])"
    # Seconds, then whole hours, minutes of the hour, and minutes left.
    set -l n (math $left; math -s0 "$left / 3600"; math -s0 "$left % 3600 / 60"; math -s0 "$left / 60")
    set -l warn 15
    if string match -qr '^(0|[1-9][0-9]{0,5})\z' -- "$MFAENV_WARN"
        set warn $MFAENV_WARN
    end
    set -l text
    set -l colour
    if test $n[1] -le 0
        set text expired
        set colour red
    else if test $n[1] -ge 3600
        test $n[3] -lt 10; and set n[3] 0$n[3]
        set text "$n[2]h$n[3]m"
    else if test $n[1] -ge 60
        set text "$n[4]m"
    else
        set text '<1m'
    end
    # Under MFAENV_WARN minutes left (whole minutes: the same as seconds < 60 * warn).
    if test $n[1] -gt 0 -a $n[4] -lt $warn
        set colour yellow
    end
    if test $n[1] -gt 0
        # The text stays as it is until the minutes left change (the warning starts on a minute too):
        # while the clock's second part stays within these bounds and its first does not change.
        set -l until (math "$MFAENV_EXPIRES - max(1, 60 * floor(($left) / 60)) - $_mfaenv_now[1]")
        set -g _mfaenv_ok "$MFAENV_EXPIRES" "$MFAENV_PROFILE" "$MFAENV_WARN" "$NO_COLOR" $_mfaenv_now[1] $_mfaenv_now[2] $until "aws:$profile $text" "$colour"
    end
    _mfaenv_print "aws:$profile $text" "$colour"
    return $last
end

function _mfaenv_print
    if test -n "$argv[2]" -a -z "$NO_COLOR"
        set_color $argv[2]
        printf '%s' $argv[1]
        set_color normal
    else
        printf '%s' $argv[1]
    end
end

# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session; Ctrl-C or a failure leaves the shell as it was. An event
# handler, not part of the prompt, so Ctrl-C cannot cancel the prompt's drawing.
# It reads the clock only when it may log in.
function _mfaenv_on_prompt --on-event fish_prompt
    set -l last $status
    test "$MFAENV_AUTO_LOGIN" = 1; or return $last
    string match -qr '^[1-9][0-9]{0,11}\z' -- "$MFAENV_EXPIRES"; or return $last
    # Once per session: string match with a pattern of digits is an exact comparison.
    string match -q -- "$MFAENV_EXPIRES" "$_MFAENV_AUTO_TRIED"; and return $last
    set -l profile "$MFAENV_PROFILE"
    test -n "$profile"; or set profile default
    string match -qr '^[A-Za-z0-9._@+=,:/-]{1,128}\z' -- $profile; or return $last
    _mfaenv_read_clock; or return $last
    if test (math "$MFAENV_EXPIRES - $_mfaenv_now[1] - $_mfaenv_now[2]") -le 0
        set -g _MFAENV_AUTO_TRIED $MFAENV_EXPIRES
        echo "mfaenv: the session of $profile has expired; logging in again" >&2
        mfaenv login --profile $profile
    end
    _mfaenv_restore_status $last
end

# Puts the segment in front of the existing prompt (only with `--prompt`).
function _mfaenv_install_prompt
    if not functions -q _mfaenv_user_prompt
        functions -c fish_prompt _mfaenv_user_prompt
        function fish_prompt
            set -l last $status
            set -l segment (mfaenv_prompt)
            test -n "$segment"; and printf '%s ' $segment
            _mfaenv_restore_status $last
            _mfaenv_user_prompt
        end
    end
end

function _mfaenv_restore_status
    return $argv[1]
end

# Completion: click's own script, asked of mfaenv at the first <TAB> rather than at
# every shell start; it replaces this loader for the rest of the session.
function _mfaenv_complete --description 'Load click completion for mfaenv, then complete'
    complete --erase --command mfaenv
    _MFAENV_COMPLETE=fish_source command mfaenv | source
    _mfaenv_completion
end
if not complete --command mfaenv | string length --quiet
    complete --no-files --command mfaenv --arguments '(_mfaenv_complete)'
end
