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

# Sets MFAENV_PS1 from MFAENV_PROFILE and MFAENV_EXPIRES. Every variable read
# here is input: only a plain decimal (no leading zero, bounded) reaches
# arithmetic, which would evaluate `a[$(cmd)]` in a value, and only a profile
# name of letters, digits and `._@+=,:/-` the prompt (so no `%`, which prompts
# expand); any other value shows no segment. The tests are inline: a function
# call costs more than they do.
# MFAENV_PS1 for this prompt. The checks in _mfaenv_segment cost more than the
# rest, and the values change once a login, the text once a minute: so the
# segment is computed again only when a value differs from the last ones that
# passed (each compared alone and literally, so no mix of values can pass as
# another) or the minute changed; else the text computed then is put back. The
# memo (_mfaenv_ok_*) is this shell's own: emptied below as the hook loads, so
# the environment cannot bring one. The clock is read here only from the
# datetime module (its EPOCHSECONDS is "special"), as _mfaenv_segment checked.
function _mfaenv_prompt() {
    \builtin local _mfaenv_status=$?
    if [[ -z ${MFAENV_EXPIRES-} ]]; then # no session: nothing to check or show
        typeset -g MFAENV_PS1=''
        \builtin return $_mfaenv_status
    fi
    if [[ -n $_mfaenv_ok_expires && ${MFAENV_EXPIRES-} == "$_mfaenv_ok_expires" && ${MFAENV_PROFILE-} == "$_mfaenv_ok_profile" && ${MFAENV_WARN-} == "$_mfaenv_ok_warn" && ${NO_COLOR:+1} == "$_mfaenv_ok_nocolour" && ${(t)EPOCHSECONDS-} == *special* ]]; then
        if (( _mfaenv_ok_since <= EPOCHSECONDS && EPOCHSECONDS <= _mfaenv_ok_until )); then
            MFAENV_PS1=$_mfaenv_ok_ps1
            \builtin return $_mfaenv_status
        fi
    fi
    _mfaenv_segment $_mfaenv_status
}
\builtin unset _mfaenv_ok_expires _mfaenv_ok_profile _mfaenv_ok_warn _mfaenv_ok_nocolour _mfaenv_ok_ps1 _mfaenv_ok_since _mfaenv_ok_until
typeset -g _mfaenv_ok_expires='' _mfaenv_ok_profile='' _mfaenv_ok_warn='' _mfaenv_ok_nocolour='' _mfaenv_ok_ps1=''
typeset -g _mfaenv_ok_since=0 _mfaenv_ok_until=0

function _mfaenv_segment() {
    \builtin local _mfaenv_status=$1
    \builtin emulate -L zsh
    \builtin local _mfaenv_now _mfaenv_left _mfaenv_warn=900 _mfaenv_text _mfaenv_colour='' _mfaenv_minutes
    typeset -g MFAENV_PS1='' _mfaenv_ok_expires=''
    [[ ${MFAENV_EXPIRES-} == [1-9]* && $MFAENV_EXPIRES != *[^0-9]* && ${#MFAENV_EXPIRES} -le 12 ]] ||
        \builtin return $_mfaenv_status
    [[ -z ${MFAENV_PROFILE-} || ( $MFAENV_PROFILE != *[^A-Za-z0-9._@+=,:/-]* && ${#MFAENV_PROFILE} -le 128 ) ]] ||
        \builtin return $_mfaenv_status
    # The module's EPOCHSECONDS, not one from the environment (which keeps the
    # module from loading); else the prompt's own strftime.
    if [[ ${(t)EPOCHSECONDS-} == *special* ]]; then
        _mfaenv_now=$EPOCHSECONDS
    else
        _mfaenv_now=${(%):-%D{%s}}
        [[ $_mfaenv_now == [1-9]* && $_mfaenv_now != *[^0-9]* && ${#_mfaenv_now} -le 12 ]] ||
            \builtin return $_mfaenv_status
    fi
    if (( MFAENV_EXPIRES <= _mfaenv_now )); then
        _mfaenv_auto_login
        # A new login set new values: check them again.
        [[ ${MFAENV_EXPIRES-} == [1-9]* && $MFAENV_EXPIRES != *[^0-9]* && ${#MFAENV_EXPIRES} -le 12 ]] ||
            \builtin return $_mfaenv_status
    fi
    _mfaenv_left=$(( MFAENV_EXPIRES - _mfaenv_now ))
    if [[ ${MFAENV_WARN-} == [0-9]* && $MFAENV_WARN != *[^0-9]* && $MFAENV_WARN != 0?* && ${#MFAENV_WARN} -le 6 ]]; then
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
    MFAENV_PS1="aws:${MFAENV_PROFILE:-?} ${_mfaenv_text}"
    if [[ -n $_mfaenv_colour && -z ${NO_COLOR-} ]]; then
        MFAENV_PS1="%F{${_mfaenv_colour}}${MFAENV_PS1}%f"
    fi
    if (( _mfaenv_left > 0 )); then
        # The text stays as it is until the minutes left change (the warning starts on a minute too).
        _mfaenv_minutes=$(( _mfaenv_left / 60 ))
        typeset -g _mfaenv_ok_since=$_mfaenv_now
        typeset -g _mfaenv_ok_until=$(( MFAENV_EXPIRES - (_mfaenv_minutes ? _mfaenv_minutes * 60 : 1) ))
        typeset -g _mfaenv_ok_ps1=$MFAENV_PS1 _mfaenv_ok_profile=${MFAENV_PROFILE-} _mfaenv_ok_warn=${MFAENV_WARN-}
        typeset -g _mfaenv_ok_nocolour=${NO_COLOR:+1} _mfaenv_ok_expires=$MFAENV_EXPIRES
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

# Completion: click's own script, asked of mfaenv at the first <TAB> rather than at
# every shell start. Needs compinit loaded first (load this hook after it); a
# completer the user set up already is left alone.
function _mfaenv_complete() {
    \builtin local _mfaenv_script
    _mfaenv_script="$(_MFAENV_COMPLETE=zsh_source \command mfaenv 2>/dev/null)" || \builtin return 1
    \builtin eval "$_mfaenv_script" # defines _mfaenv_completion and makes it mfaenv's completer
    _mfaenv_completion "$@"
}
if (( ${+functions[compdef]} )) && [[ -z ${_comps[mfaenv]-} ]]; then
    compdef _mfaenv_complete mfaenv
fi
