# shellcheck shell=bash
# mfaenv hook for bash 4.2 or later. Load it from ~/.bashrc with:
#     eval "$(mfaenv init bash)"            # add --prompt to put the segment in PS1
# Then `mfaenv login` / `mfaenv logout` change this shell, and $MFAENV_PS1 holds
# the prompt segment (`aws:work 11h52m`), computed without forking a process.

# Runs the real program; for login/logout, evaluates its output only if it
# succeeded (stdout is empty on failure anyway), and keeps its exit status.
# The subcommand may follow global options (`mfaenv --debug login`): they stay
# where the user wrote them, and `--shell bash` goes right after the subcommand.
mfaenv() {
    \builtin local _mfaenv_out _mfaenv_rc=0 _mfaenv_arg _mfaenv_help=0 _mfaenv_i=1
    while [[ ${!_mfaenv_i-} == --debug ]]; do
        _mfaenv_i=$((_mfaenv_i + 1))
    done
    case "${!_mfaenv_i-}" in
        login | logout)
            # Help is for reading, not for eval. Inside `$(...)` (the user's own
            # `eval "$(mfaenv login)"`: a subshell writing to a pipe) the statements
            # must reach stdout, since evaluating them there would change nothing.
            for _mfaenv_arg in "$@"; do
                if [[ $_mfaenv_arg == --help || $_mfaenv_arg == -h ]]; then
                    _mfaenv_help=1
                fi
            done
            if ((_mfaenv_help)) || { ((BASH_SUBSHELL)) && [[ -p /dev/stdout ]]; }; then
                \command mfaenv "$@"
                \builtin return
            fi
            _mfaenv_out="$(\command mfaenv "${@:1:_mfaenv_i}" --shell bash "${@:_mfaenv_i+1}")" || _mfaenv_rc=$?
            if [[ $_mfaenv_rc -eq 0 ]]; then
                \builtin eval "$_mfaenv_out"
            fi
            \builtin return "$_mfaenv_rc"
            ;;
        *)
            \command mfaenv "$@"
            ;;
    esac
}

# Sets MFAENV_PS1 from MFAENV_PROFILE and MFAENV_EXPIRES. Builtins and
# arithmetic only: `printf '%(%s)T'` reads the clock without `date`. Glob
# tests, inline, not =~ or helper functions: bash compiles a regex on every
# call, and a function call costs more than the test (bench/prompt.py).
#
# Every variable read here is input. Only a plain decimal (no leading zero,
# bounded) reaches arithmetic, which would evaluate `a[$(cmd)]` in a value;
# only a profile name of letters, digits and `._@+=,:/-` (listed, not ranges:
# bash 4 ranges follow the locale) reaches the prompt. Any other value shows
# no segment. Not $EPOCHSECONDS: in bash 4, or once unset in bash 5, it is an
# ordinary variable that the environment can set.
_mfaenv_segment() {
    \builtin local _mfaenv_status=$1 _mfaenv_now _mfaenv_left _mfaenv_warn=900 _mfaenv_text _mfaenv_colour='' _mfaenv_minutes
    MFAENV_PS1='' _mfaenv_ok_expires=''
    [[ ${MFAENV_EXPIRES-} == [123456789]* && $MFAENV_EXPIRES != *[!0123456789]* && ${#MFAENV_EXPIRES} -le 12 ]] ||
        \builtin return "$_mfaenv_status"
    [[ -z ${MFAENV_PROFILE-} || ($MFAENV_PROFILE != *[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+=,:/-]* && ${#MFAENV_PROFILE} -le 128) ]] ||
        \builtin return "$_mfaenv_status"
    \builtin printf -v _mfaenv_now '%(%s)T' -1
    if ((MFAENV_EXPIRES <= _mfaenv_now)); then
        _mfaenv_auto_login
        # A new login set new values: check them again.
        if [[ ${MFAENV_EXPIRES-} != [123456789]* || $MFAENV_EXPIRES == *[!0123456789]* || ${#MFAENV_EXPIRES} -gt 12 ]]; then
            \builtin return "$_mfaenv_status"
        fi
    fi
    _mfaenv_left=$((MFAENV_EXPIRES - _mfaenv_now))
    if [[ ${MFAENV_WARN-} == [0123456789]* && $MFAENV_WARN != *[!0123456789]* && $MFAENV_WARN != 0?* && ${#MFAENV_WARN} -le 6 ]]; then
        _mfaenv_warn=$((MFAENV_WARN * 60))
    fi
    if ((_mfaenv_left <= 0)); then
        _mfaenv_text=expired _mfaenv_colour=31
    elif ((_mfaenv_left >= 3600)); then
        \builtin printf -v _mfaenv_text '%dh%02dm' $((_mfaenv_left / 3600)) $((_mfaenv_left % 3600 / 60))
    elif ((_mfaenv_left >= 60)); then
        _mfaenv_text="$((_mfaenv_left / 60))m"
    else
        _mfaenv_text='<1m'
    fi
    if ((_mfaenv_left > 0 && _mfaenv_left < _mfaenv_warn)); then
        _mfaenv_colour=33
    fi
    MFAENV_PS1="aws:${MFAENV_PROFILE:-?} ${_mfaenv_text}"
    if [[ -n $_mfaenv_colour && -z ${NO_COLOR-} ]]; then
        # \001 and \002 tell readline the escape takes no room on the line.
        MFAENV_PS1=$'\001\e['"${_mfaenv_colour}"$'m\002'"${MFAENV_PS1}"$'\001\e[0m\002'
    fi
    if ((_mfaenv_left > 0)); then
        # The text stays as it is until the minutes left change (the warning starts on a minute too).
        _mfaenv_minutes=$((_mfaenv_left / 60))
        _mfaenv_ok_since=$_mfaenv_now _mfaenv_ok_until=$((MFAENV_EXPIRES - (_mfaenv_minutes ? _mfaenv_minutes * 60 : 1)))
        _mfaenv_ok_ps1=$MFAENV_PS1 _mfaenv_ok_profile=${MFAENV_PROFILE-} _mfaenv_ok_warn=${MFAENV_WARN-}
        _mfaenv_ok_nocolour=${NO_COLOR:+1} _mfaenv_ok_expires=$MFAENV_EXPIRES
    fi
    \builtin return "$_mfaenv_status"
}

# MFAENV_PS1 for this prompt. The checks in _mfaenv_segment cost more than the
# rest, and the values change once a login, the text once a minute: so the
# segment is computed again only when a value differs from the last ones that
# passed (each compared alone and literally, so no mix of values can pass as
# another) or the minute changed; else the text computed then is put back. The
# memo (_mfaenv_ok_*) is this shell's own: emptied below as the hook loads, so
# the environment cannot bring one.
_mfaenv_prompt() {
    \builtin local _mfaenv_status=$? _mfaenv_now
    if [[ -z ${MFAENV_EXPIRES-} ]]; then # no session: nothing to check or show
        MFAENV_PS1=''
        \builtin return "$_mfaenv_status"
    fi
    if [[ -n $_mfaenv_ok_expires && ${MFAENV_EXPIRES-} == "$_mfaenv_ok_expires" && ${MFAENV_PROFILE-} == "$_mfaenv_ok_profile" && ${MFAENV_WARN-} == "$_mfaenv_ok_warn" && ${NO_COLOR:+1} == "$_mfaenv_ok_nocolour" ]]; then
        \builtin printf -v _mfaenv_now '%(%s)T' -1
        if ((_mfaenv_ok_since <= _mfaenv_now && _mfaenv_now <= _mfaenv_ok_until)); then
            MFAENV_PS1=$_mfaenv_ok_ps1
            \builtin return "$_mfaenv_status"
        fi
    fi
    _mfaenv_segment "$_mfaenv_status"
}
\builtin unset _mfaenv_ok_expires _mfaenv_ok_profile _mfaenv_ok_warn _mfaenv_ok_nocolour _mfaenv_ok_ps1 _mfaenv_ok_since _mfaenv_ok_until
_mfaenv_ok_expires='' _mfaenv_ok_profile='' _mfaenv_ok_warn='' _mfaenv_ok_nocolour='' _mfaenv_ok_ps1='' _mfaenv_ok_since=0 _mfaenv_ok_until=0

# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session, asking for the code; Ctrl-C or a failure leaves the
# shell as it was (the wrapper evaluates nothing unless login succeeded).
# The caller checked MFAENV_EXPIRES and MFAENV_PROFILE.
_mfaenv_auto_login() {
    if [[ ${MFAENV_AUTO_LOGIN-} == 1 && ${_MFAENV_AUTO_TRIED-} != "$MFAENV_EXPIRES" ]]; then
        _MFAENV_AUTO_TRIED=$MFAENV_EXPIRES
        \builtin printf 'mfaenv: the session of %s has expired; logging in again\n' "${MFAENV_PROFILE:-default}" >&2
        mfaenv login --profile "${MFAENV_PROFILE:-default}" || :
    fi
}

# Adds the segment in front of PS1 (only with `mfaenv init bash --prompt`).
_mfaenv_install_prompt() {
    if [[ ${PS1-} != *'MFAENV_PS1'* ]]; then
        PS1='${MFAENV_PS1:+$MFAENV_PS1 }'"${PS1-}"
    fi
}

# Install once, in front, so the hook sees the command's $? and hands it on.
# `declare -p`, not ${PROMPT_COMMAND@a}, which bash 4.2 and 4.3 lack.
if [[ $(\builtin declare -p PROMPT_COMMAND 2>/dev/null) == "declare -a"* ]]; then
    # The array form of bash 5.1.
    if [[ " ${PROMPT_COMMAND[*]} " != *' _mfaenv_prompt '* ]]; then
        PROMPT_COMMAND=(_mfaenv_prompt "${PROMPT_COMMAND[@]}")
    fi
elif [[ ${PROMPT_COMMAND-} != *_mfaenv_prompt* ]]; then
    # shellcheck disable=SC2178,SC2128 # the string form, checked above
    PROMPT_COMMAND="_mfaenv_prompt${PROMPT_COMMAND:+;${PROMPT_COMMAND}}"
fi

# Completion: click's own script, asked of mfaenv at the first <TAB> rather than at
# every shell start (a Python start costs tens of milliseconds). It needs bash 4.4
# (`complete -o nosort`); one the user set up already is left alone.
_mfaenv_complete() {
    \builtin local _mfaenv_script
    _mfaenv_script="$(_MFAENV_COMPLETE=bash_source \command mfaenv 2>/dev/null)" || \builtin return 0
    \builtin eval "$_mfaenv_script" # defines _mfaenv_completion and makes it mfaenv's completer
    _mfaenv_completion "$@"
}
if ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4))) &&
    ! \builtin complete -p mfaenv >/dev/null 2>&1; then
    \builtin complete -o nosort -F _mfaenv_complete mfaenv
fi
