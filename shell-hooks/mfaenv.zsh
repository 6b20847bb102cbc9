# mfaenv hook for zsh. Load it from ~/.zshrc with:
#     eval "$(mfaenv init zsh)"            # add --prompt to put the segment in PROMPT
# Then `mfaenv login` / `mfaenv logout` change this shell, and $MFAENV_PS1 holds
# the prompt segment (use it with `setopt prompt_subst`), computed in a precmd
# hook from $EPOCHSECONDS (zsh/datetime) without forking a process.

\builtin zmodload -F zsh/datetime p:EPOCHSECONDS

# Runs the real program; for login/logout, evaluates its output only if it
# succeeded, and keeps its exit status.
function mfaenv() {
    \builtin local _mfaenv_out _mfaenv_rc=0
    case "${1-}" in
        login | logout)
            # Help is for reading, not for eval; and inside `$(...)` (the user's own
            # `eval "$(mfaenv login)"`) the statements must reach stdout.
            if (( ${@[(Ie)--help]} || ${@[(Ie)-h]} )) || [[ $ZSH_EVAL_CONTEXT == *cmdsubst* ]]; then
                \command mfaenv "$@"
                \builtin return
            fi
            _mfaenv_out="$(\command mfaenv "$1" --shell zsh "${@:2}")" || _mfaenv_rc=$?
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

function _mfaenv_prompt() {
    \builtin local _mfaenv_status=$? _mfaenv_left _mfaenv_warn=900 _mfaenv_text _mfaenv_colour=''
    typeset -g MFAENV_PS1=''
    if [[ ${MFAENV_EXPIRES-} == <-> ]]; then
        if (( MFAENV_EXPIRES <= EPOCHSECONDS )); then
            _mfaenv_auto_login
        fi
        _mfaenv_left=$(( MFAENV_EXPIRES - EPOCHSECONDS ))
        if [[ ${MFAENV_WARN-} == <-> ]]; then
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
        # `%` is special in prompts: a profile name keeps it literal as `%%`.
        MFAENV_PS1="aws:${${MFAENV_PROFILE:-?}//\%/%%} ${_mfaenv_text}"
        if [[ -n $_mfaenv_colour && -z ${NO_COLOR-} ]]; then
            MFAENV_PS1="%F{${_mfaenv_colour}}${MFAENV_PS1}%f"
        fi
    fi
    \builtin return $_mfaenv_status
}

# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session; Ctrl-C or a failure leaves the shell as it was.
function _mfaenv_auto_login() {
    if [[ ${MFAENV_AUTO_LOGIN-} == 1 && ${_MFAENV_AUTO_TRIED-} != "${MFAENV_EXPIRES-}" ]]; then
        typeset -g _MFAENV_AUTO_TRIED=${MFAENV_EXPIRES-}
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
