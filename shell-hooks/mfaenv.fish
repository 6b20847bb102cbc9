# mfaenv hook for fish. Load it from ~/.config/fish/config.fish with:
#     mfaenv init fish | source        # add --prompt to put the segment in fish_prompt
# Then `mfaenv login` / `mfaenv logout` change this shell, and `mfaenv_prompt`
# prints the prompt segment (`aws:work 11h52m`); fish runs functions without
# forking, so the one process per prompt is `date`, for the clock.

# Runs the real program; for login/logout, evaluates its output only if it
# succeeded, and keeps its exit status.
function mfaenv --description 'AWS MFA sessions in this shell'
    switch "$argv[1]"
        case login logout
            # Help is for reading, not for source; inside `(...)` the statements
            # must reach stdout (the user's own `eval (mfaenv login)`).
            if contains -- --help $argv; or contains -- -h $argv; or status is-command-substitution
                command mfaenv $argv
                return
            end
            set -l out (command mfaenv $argv[1] --shell fish $argv[2..-1] | string collect)
            set -l rc $pipestatus[1]
            if test $rc -eq 0
                printf '%s\n' $out | source
            end
            return $rc
        case '*'
            command mfaenv $argv
    end
end

function mfaenv_prompt --description 'Print the mfaenv prompt segment'
    set -l last $status
    if string match -qr '^[0-9]+$' -- "$MFAENV_EXPIRES"
        # The prompt event read the clock already; called on its own, read it now.
        set -l now $_mfaenv_now
        string match -qr '^[0-9]+$' -- "$now"; or set now (date +%s)
        set -l left (math "$MFAENV_EXPIRES - $now")
        set -l warn 900
        if string match -qr '^[0-9]+$' -- "$MFAENV_WARN"
            set warn (math "$MFAENV_WARN * 60")
        end
        set -l text
        set -l colour
        if test $left -le 0
            set text expired
            set colour red
        else if test $left -ge 3600
            set text (printf '%dh%02dm' (math --scale=0 "$left / 3600") (math --scale=0 "$left % 3600 / 60"))
        else if test $left -ge 60
            set text (math --scale=0 "$left / 60")m
        else
            set text '<1m'
        end
        if test $left -gt 0 -a $left -lt $warn
            set colour yellow
        end
        set -l profile $MFAENV_PROFILE
        test -n "$profile"; or set profile '?'
        if test -n "$colour" -a -z "$NO_COLOR"
            printf '%s%s%s' (set_color $colour) "aws:$profile $text" (set_color normal)
        else
            printf '%s' "aws:$profile $text"
        end
    end
    return $last
end

# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session; Ctrl-C or a failure leaves the shell as it was. An event
# handler, not part of the prompt, so Ctrl-C cannot cancel the prompt's drawing.
function _mfaenv_on_prompt --on-event fish_prompt
    set -l last $status
    set -e _mfaenv_now
    # fish has no clock builtin: this `date` is the one process per prompt,
    # and only while a session is set.
    string match -qr '^[0-9]+$' -- "$MFAENV_EXPIRES"; or return $last
    set -g _mfaenv_now (date +%s)
    if test "$MFAENV_AUTO_LOGIN" = 1 -a "$_MFAENV_AUTO_TRIED" != "$MFAENV_EXPIRES" -a $MFAENV_EXPIRES -le $_mfaenv_now
        set -g _MFAENV_AUTO_TRIED $MFAENV_EXPIRES
        set -q MFAENV_PROFILE[1]; and set -l profile $MFAENV_PROFILE; or set -l profile default
        echo "mfaenv: the session of $profile has expired; logging in again" >&2
        mfaenv login --profile $profile
        set -g _mfaenv_now (date +%s)
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
