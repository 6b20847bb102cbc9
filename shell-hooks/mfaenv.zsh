# mfaenv hook for zsh. Load it from ~/.zshrc with:
#     eval "$(mfaenv init zsh)"            # add --prompt to put the segment in PROMPT
# Then `mfaenv login` / `mfaenv logout` change this shell, and $MFAENV_PS1 holds
# the prompt segment (use it with `setopt prompt_subst`), computed in a precmd
# hook from $EPOCHSECONDS (zsh/datetime) without forking a process.

# Quietly: an EPOCHSECONDS imported from the environment blocks the module,
# and the prompt then reads the clock another way.
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || :

# Runs the real program; for login/logout, evaluates its output only if it
# succeeded, and keeps its exit status. The subcommand may follow global
# options (`mfaenv --debug login`): they stay where the user wrote them, and
# `--shell zsh` goes right after the subcommand.
function mfaenv() {
    # zsh's own option defaults here (ksharrays would shift $argv's indexes).
    \builtin emulate -L zsh
    \builtin local _mfaenv_out _mfaenv_rc=0 _mfaenv_i=1
    while [[ ${argv[_mfaenv_i]-} == --debug ]]; do
        _mfaenv_i=$(( _mfaenv_i + 1 ))
    done
    case "${argv[_mfaenv_i]-}" in
        login | logout)
            # Help is for reading, not for eval; and inside `$(...)` (the user's own
            # `eval "$(mfaenv login)"`) the statements must reach stdout.
            if (( ${@[(Ie)--help]} || ${@[(Ie)-h]} )) || [[ $ZSH_EVAL_CONTEXT == *cmdsubst* ]]; then
                \command mfaenv "$@"
                \builtin return
            fi
            _mfaenv_out="$(\command mfaenv "${(@)argv[1,_mfaenv_i]}" --shell zsh "${(@)argv[_mfaenv_i+1,-1]}")" || _mfaenv_rc=$?
            if (( _mfaenv_rc == 0 )); then
                \builtin eval "$_mfaenv_out"
            fi
            \builtin return $_mfaenv_rc
            ;;
        *)
            \command mfaenv "$@"
            ;;
    esac
}

# True if $1 is a plain decimal of 1 to $2 digits, no leading zero: the only
# form that may reach arithmetic, which would evaluate `a[$(cmd)]` in a value.
# Every variable the hook reads is input.
function _mfaenv_is_int() {
    [[ $1 == 0 || ( $1 == [1-9]* && $1 != *[^0-9]* && ${#1} -le $2 ) ]]
}

# Sets MFAENV_PS1 from MFAENV_PROFILE and MFAENV_EXPIRES; a value of the wrong
# shape shows no segment.
function _mfaenv_prompt() {
    \builtin local _mfaenv_status=$?
    # zsh's own option defaults here, whatever the user set (ksharrays, octalzeroes...).
    \builtin emulate -L zsh
    \builtin local _mfaenv_now _mfaenv_left _mfaenv_warn=900 _mfaenv_text _mfaenv_colour=''
    \builtin local _mfaenv_profile="${MFAENV_PROFILE:-?}"
    typeset -g MFAENV_PS1=''
    # A profile name the segment may show: letters, digits and `._@+=,:/-`.
    if [[ $_mfaenv_profile != '?' && ( $_mfaenv_profile == *[^A-Za-z0-9._@+=,:/-]* || ${#_mfaenv_profile} -gt 128 ) ]] ||
        ! _mfaenv_is_int "${MFAENV_EXPIRES-}" 12; then
        \builtin return $_mfaenv_status
    fi
    # The module's EPOCHSECONDS, not one from the environment; else the
    # prompt's own strftime.
    if [[ ${(t)EPOCHSECONDS-} == *special* ]]; then
        _mfaenv_now=$EPOCHSECONDS
    else
        _mfaenv_now=${(%):-%D{%s}}
    fi
    _mfaenv_is_int "$_mfaenv_now" 12 || \builtin return $_mfaenv_status
    if (( MFAENV_EXPIRES <= _mfaenv_now )); then
        _mfaenv_auto_login
        # A new login set new values: check them again.
        _mfaenv_is_int "${MFAENV_EXPIRES-}" 12 || \builtin return $_mfaenv_status
    fi
    _mfaenv_left=$(( MFAENV_EXPIRES - _mfaenv_now ))
    if _mfaenv_is_int "${MFAENV_WARN-}" 6; then
        _mfaenv_warn=$(( MFAENV_WARN * 60 ))
    fi
    if (( _mfaenv_left <= 0 )); then
        _mfaenv_text=expired _mfaenv_colour=red
    elif (( _mfaenv_left >= 3600 )); then
        _mfaenv_text="${$(( _mfaenv_left / 3600 ))}h${(l:2::0:)$(( _mfaenv_left % 3600 / 60 ))}m"
    elif (( _mfaenv_left >= 60 )); then
        _mfaenv_text="$(( _mfaenv_left / 60 ))m"
    else
        _mfaenv_text='<1m'
    fi
    if (( _mfaenv_left > 0 && _mfaenv_left < _mfaenv_warn )); then
        _mfaenv_colour=yellow
    fi
    # The name holds no `%`, which prompts read as an escape.
    MFAENV_PS1="aws:${_mfaenv_profile} ${_mfaenv_text}"
    if [[ -n $_mfaenv_colour && -z ${NO_COLOR-} ]]; then
        MFAENV_PS1="%F{${_mfaenv_colour}}${MFAENV_PS1}%f"
    fi
    \builtin return $_mfaenv_status
}

# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session; Ctrl-C or a failure leaves the shell as it was. The
# caller checked MFAENV_EXPIRES and MFAENV_PROFILE.
function _mfaenv_auto_login() {
    if [[ ${MFAENV_AUTO_LOGIN-} == 1 && ${_MFAENV_AUTO_TRIED-} != "$MFAENV_EXPIRES" ]]; then
        typeset -g _MFAENV_AUTO_TRIED=$MFAENV_EXPIRES
        \builtin print -ru2 -- "mfaenv: the session of ${MFAENV_PROFILE:-default} has expired; logging in again"
        mfaenv login --profile "${MFAENV_PROFILE:-default}" || :
    fi
}

# Adds the segment in front of PROMPT (only with `mfaenv init zsh --prompt`).
function _mfaenv_install_prompt() {
    \builtin setopt prompt_subst
    if [[ ${PROMPT-} != *MFAENV_PS1* ]]; then
        PROMPT='${MFAENV_PS1:+$MFAENV_PS1 }'"${PROMPT-}"
    fi
}

# add-zsh-hook adds a function once, however often this file is loaded.
\builtin autoload -Uz add-zsh-hook
add-zsh-hook precmd _mfaenv_prompt
