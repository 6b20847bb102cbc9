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
    # Every variable read here is input: only a plain decimal (no leading zero,
    # at most 12 digits) reaches @, only a profile name of letters, digits and
    # `._@+=,:/-` the prompt; any other value shows no segment. $%X and $X:q
    # are safe with any value; "$X" is not ("Unmatched" for a newline).
    # Two passes: a login with MFAENV_AUTO_LOGIN=1 in the first sets new values.
    foreach _mfaenv_pass ( 1 2 )
        set _mfaenv_ok = 0
        if ( $?MFAENV_EXPIRES ) then
            if ( $%MFAENV_EXPIRES >= 1 && $%MFAENV_EXPIRES <= 12 ) then
                if ( $MFAENV_EXPIRES:q !~ *[^0-9]* && $MFAENV_EXPIRES:q !~ 0* ) set _mfaenv_ok = 1
            endif
        endif
        set _mfaenv_profile = '?'
        if ( $?MFAENV_PROFILE ) then
            if ( $%MFAENV_PROFILE > 128 ) then
                set _mfaenv_ok = 0
            else if ( $MFAENV_PROFILE:q =~ *[^A-Za-z0-9._@+=,:/-]* ) then
                set _mfaenv_ok = 0
            else if ( $%MFAENV_PROFILE > 0 ) then
                set _mfaenv_profile = $MFAENV_PROFILE:q
            endif
        endif
        if ( $_mfaenv_ok == 0 ) break
        @ _mfaenv_left = $MFAENV_EXPIRES - `date +%s`
        # With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in
        # again, once per expired session; Ctrl-C or a failure changes nothing.
        if ( $_mfaenv_left > 0 || $_mfaenv_pass == 2 || ! $?MFAENV_AUTO_LOGIN ) break
        if ( $MFAENV_AUTO_LOGIN:q != 1 ) break
        if ( $?_mfaenv_tried ) then
            if ( "$_mfaenv_tried" == "$MFAENV_EXPIRES" ) break
        endif
        set _mfaenv_tried = "$MFAENV_EXPIRES"
        if ( "$_mfaenv_profile" == '?' ) set _mfaenv_profile = default
        echo "mfaenv: the session of $_mfaenv_profile has expired; logging in again" >> /dev/stderr
        set _mfaenv_out = "`\mfaenv login --profile $_mfaenv_profile --shell tcsh`"
        if ( $status != 0 ) break
        eval "$_mfaenv_out"
    end
    if ( $_mfaenv_ok == 1 ) then
        set _mfaenv_warn = 900
        if ( $?MFAENV_WARN ) then
            if ( $%MFAENV_WARN >= 1 && $%MFAENV_WARN <= 6 ) then
                if ( $MFAENV_WARN:q !~ *[^0-9]* && $MFAENV_WARN:q !~ 0?* ) @ _mfaenv_warn = $MFAENV_WARN * 60
            endif
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
        set MFAENV_PROMPT = "aws:${_mfaenv_profile} ${_mfaenv_text}"
        if ( "$_mfaenv_colour" != '' && ! $?NO_COLOR ) then
            # %{ %} tell tcsh the escape takes no room on the line.
            set MFAENV_PROMPT = "%{\033[${_mfaenv_colour}m%}${MFAENV_PROMPT}%{\033[0m%}"
        endif
    endif
    unset _mfaenv_pass _mfaenv_ok _mfaenv_out _mfaenv_left _mfaenv_warn _mfaenv_colour _mfaenv_text _mfaenv_h _mfaenv_m _mfaenv_profile
    if ( $?_mfaenv_user_prompt ) then
        if ( "$MFAENV_PROMPT" != '' ) then
            set prompt = "${MFAENV_PROMPT} ${_mfaenv_user_prompt}"
        else
            set prompt = "${_mfaenv_user_prompt}"
        endif
    endif
else
    # The subcommand may follow global options (`mfaenv --debug login`): they
    # stay where the user wrote them, and `--shell tcsh` goes right after it.
    set _mfaenv_i = 1
    while ( $_mfaenv_i < $#argv )
        if ( $argv[$_mfaenv_i]:q != --debug ) break
        @ _mfaenv_i++
    end
    @ _mfaenv_j = $_mfaenv_i + 1
    # Not an `else if`: csh substitutes $argv[N] even where it skips a branch.
    set _mfaenv_verb = $argv[$_mfaenv_i]:q
    set _mfaenv_help = 0
    foreach _mfaenv_arg ( $argv:q )
        if ( $_mfaenv_arg:q == --help || $_mfaenv_arg:q == -h ) set _mfaenv_help = 1
    end
    unset _mfaenv_arg
    # Help text is for reading, not for eval.
    if ( ( $_mfaenv_verb:q == login || $_mfaenv_verb:q == logout ) && $_mfaenv_help == 0 ) then
        # A failed run prints nothing, so an empty result applies nothing;
        # $status after the backquotes is the program's.
        set _mfaenv_out = "`\mfaenv $argv[1-$_mfaenv_i]:q --shell tcsh $argv[$_mfaenv_j-]:q`"
        set _mfaenv_rc = $status
        if ( $_mfaenv_rc == 0 ) eval "$_mfaenv_out"
        unset _mfaenv_out
    else
        \mfaenv $argv:q
        set _mfaenv_rc = $status
    endif
    unset _mfaenv_verb _mfaenv_help _mfaenv_i _mfaenv_j
endif
set status = $_mfaenv_rc
