# mfaenv hook for tcsh and csh. Load it from ~/.tcshrc with:
#     eval "`mfaenv init tcsh`"            # add --prompt to put the segment in the prompt
# csh has no functions, so `mfaenv init tcsh` prints aliases that source this
# file with their arguments: `mfaenv ARGS` runs the real program and, for
# login/logout, evaluates its output only if it succeeded; `precmd` (no
# arguments) sets MFAENV_PROMPT to the segment (`aws:work 11h52m`). `date` is
# the one process per prompt, and only while a session is set: csh has no clock.

# The status to return: the precmd alias saves the user's last status here
# (`source` resets $status), the mfaenv branch sets the program's. The last
# line returns it, because an `endif` resets $status to 0.
if ( ! $?_mfaenv_rc ) set _mfaenv_rc = 0
if ( $#argv == 0 ) then
    set MFAENV_PROMPT = ''
    if ( $?MFAENV_EXPIRES ) then
        if ( "$MFAENV_EXPIRES" =~ [0-9]* && "$MFAENV_EXPIRES" !~ *[^0-9]* ) then
            @ _mfaenv_left = $MFAENV_EXPIRES - `date +%s`
            set _mfaenv_warn = 900
            if ( $?MFAENV_WARN ) then
                if ( "$MFAENV_WARN" =~ [0-9]* && "$MFAENV_WARN" !~ *[^0-9]* ) @ _mfaenv_warn = $MFAENV_WARN * 60
            endif
            set _mfaenv_colour = ''
            if ( $_mfaenv_left <= 0 ) then
                set _mfaenv_text = expired
                set _mfaenv_colour = 31
            else if ( $_mfaenv_left >= 3600 ) then
                @ _mfaenv_h = $_mfaenv_left / 3600
                @ _mfaenv_m = ( $_mfaenv_left % 3600 ) / 60
                if ( $_mfaenv_m < 10 ) set _mfaenv_m = 0$_mfaenv_m
                set _mfaenv_text = ${_mfaenv_h}h${_mfaenv_m}m
            else if ( $_mfaenv_left >= 60 ) then
                @ _mfaenv_m = $_mfaenv_left / 60
                set _mfaenv_text = ${_mfaenv_m}m
            else
                set _mfaenv_text = '<1m'
            endif
            if ( $_mfaenv_left > 0 && $_mfaenv_left < $_mfaenv_warn ) set _mfaenv_colour = 33
            set _mfaenv_profile = '?'
            if ( $?MFAENV_PROFILE ) set _mfaenv_profile = "$MFAENV_PROFILE"
            set MFAENV_PROMPT = "aws:${_mfaenv_profile} ${_mfaenv_text}"
            if ( "$_mfaenv_colour" != '' && ! $?NO_COLOR ) then
                # %{ %} tell tcsh the escape takes no room on the line.
                set MFAENV_PROMPT = "%{\033[${_mfaenv_colour}m%}${MFAENV_PROMPT}%{\033[0m%}"
            endif
            unset _mfaenv_left _mfaenv_warn _mfaenv_colour _mfaenv_text _mfaenv_h _mfaenv_m _mfaenv_profile
        endif
    endif
    if ( $?_mfaenv_user_prompt ) then
        if ( "$MFAENV_PROMPT" != '' ) then
            set prompt = "${MFAENV_PROMPT} ${_mfaenv_user_prompt}"
        else
            set prompt = "${_mfaenv_user_prompt}"
        endif
    endif
else
    # Not an `else if`: csh substitutes $argv[1] even where it skips a branch.
    set _mfaenv_verb = "$argv[1]"
    set _mfaenv_help = 0
    foreach _mfaenv_arg ( $argv:q )
        if ( "$_mfaenv_arg" == --help || "$_mfaenv_arg" == -h ) set _mfaenv_help = 1
    end
    unset _mfaenv_arg
    # Help text is for reading, not for eval.
    if ( ( "$_mfaenv_verb" == login || "$_mfaenv_verb" == logout ) && $_mfaenv_help == 0 ) then
        # A failed run prints nothing, so an empty result applies nothing;
        # $status after the backquotes is the program's.
        set _mfaenv_out = "`\mfaenv $argv:q --shell tcsh`"
        set _mfaenv_rc = $status
        if ( $_mfaenv_rc == 0 ) eval "$_mfaenv_out"
        unset _mfaenv_out
    else
        \mfaenv $argv:q
        set _mfaenv_rc = $status
    endif
    unset _mfaenv_verb _mfaenv_help
endif
set status = $_mfaenv_rc
