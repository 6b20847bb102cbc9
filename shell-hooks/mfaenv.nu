# mfaenv hook for nushell. nushell reads its config before it runs anything, so
# save the hook once and source the file from config.nu (as zoxide and starship do):
#     mfaenv init nu | save -f ($nu.default-config-dir | path join mfaenv.nu)
#     source ($nu.default-config-dir | path join mfaenv.nu)      # in config.nu
# Then `mfaenv login` / `mfaenv logout` change this shell, and `mfaenv-prompt`
# returns the prompt segment (`aws:work 11h52m`), computed in the shell itself.

# For login/logout, run the program and load its output only if it succeeded.
def --env --wrapped mfaenv [...args] {
    let verb = ($args | get -o 0 | default '')
    # Help text is for reading, not for load-env.
    if $verb in [login logout] and not ('--help' in $args or '-h' in $args) {
        let out = (^mfaenv $verb --shell nu ...($args | skip 1) | complete)
        if ($out.stderr | is-not-empty) { print -e --no-newline $out.stderr }
        if $out.exit_code == 0 {
            $out.stdout | from json | load-env
        }
        if $out.exit_code != 0 { error make --unspanned { msg: $"mfaenv ($verb) failed with exit status ($out.exit_code)" } }
    } else {
        ^mfaenv ...$args
    }
}

# The prompt segment: empty without a session.
def mfaenv-prompt [] {
    let expires = ($env.MFAENV_EXPIRES? | default '')
    if ($expires | describe) != 'string' or ($expires !~ '^[0-9]+$') { return '' }
    let left = (($expires | into int) - ((date now | into int) // 1_000_000_000))
    let warn_env = ($env.MFAENV_WARN? | default '')
    let warn = if ($warn_env | describe) == 'string' and ($warn_env =~ '^[0-9]+$') { ($warn_env | into int) * 60 } else { 900 }
    let text = if $left <= 0 {
        'expired'
    } else if $left >= 3600 {
        $"($left // 3600)h(($left mod 3600) // 60 | fill --alignment right --character '0' --width 2)m"
    } else if $left >= 60 {
        $"($left // 60)m"
    } else {
        '<1m'
    }
    let profile = ($env.MFAENV_PROFILE? | default '?')
    let segment = $"aws:($profile) ($text)"
    let colour = if $left <= 0 { 'red' } else if $left < $warn { 'yellow' } else { '' }
    if $colour == '' or ($env.NO_COLOR? | default '' | is-not-empty) {
        $segment
    } else {
        $"(ansi $colour)($segment)(ansi reset)"
    }
}

# Puts the segment in front of the existing left prompt (only with `--prompt`).
# The closure captures the user's prompt; the marker makes a second call a no-op.
def --env _mfaenv_install_prompt [] {
    if ($env._MFAENV_PROMPT_INSTALLED? | is-empty) {
        $env._MFAENV_PROMPT_INSTALLED = '1'
        let user = ($env.PROMPT_COMMAND? | default '')
        $env.PROMPT_COMMAND = {||
            let inner = if ($user | describe) =~ '^closure' { do $user } else { $user }
            let segment = (mfaenv-prompt)
            if $segment == '' { $inner } else { $"($segment) ($inner)" }
        }
    }
}
