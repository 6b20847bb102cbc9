# mfaenv hook for nushell. nushell reads its config before it runs anything, so
# save the hook once and source the file from config.nu (as zoxide and starship do):
#     mfaenv init nu | save -f ($nu.default-config-dir | path join mfaenv.nu)
#     source ($nu.default-config-dir | path join mfaenv.nu)      # in config.nu
# Then `mfaenv login` / `mfaenv logout` change this shell, and `mfaenv-prompt`
# returns the prompt segment (`aws:work 11h52m`), computed in the shell itself.

# For login/logout, run the program and load its output only if it succeeded.
# The subcommand may follow global options (`mfaenv --debug login`): they stay
# where the user wrote them, and `--shell nu` goes right after the subcommand.
def --env --wrapped mfaenv [...args] {
    let i = ($args | take while {|a| $a == '--debug' } | length)
    let verb = ($args | get -o $i | default '')
    # Help text is for reading, not for load-env.
    if $verb in [login logout] and not ('--help' in $args or '-h' in $args) {
        let out = (^mfaenv ...($args | first ($i + 1)) --shell nu ...($args | skip ($i + 1)) | complete)
        if ($out.stderr | is-not-empty) { print -e --no-newline $out.stderr }
        if $out.exit_code == 0 {
            $out.stdout | from json | load-env
        }
        if $out.exit_code != 0 { error make --unspanned { msg: $"mfaenv ($verb) failed with exit status ($out.exit_code)" } }
    } else {
        ^mfaenv ...$args
    }
}

# Every variable the hook reads is input: only these shapes are used, and any
# other value shows no segment. A plain decimal (no leading zero, bounded), and
# a profile name of letters, digits and `._@+=,:/-`.
def _mfaenv_int [name: string, digits: int, zero: bool] {
    let value = ($env | get -o $name | default '')
    if ($value | describe) != 'string' or ($value | str length) > $digits { return null }
    if $value =~ '^[1-9][0-9]*$' or ($zero and $value == '0') { $value | into int } else { null }
}

def _mfaenv_profile [] {
    let profile = ($env.MFAENV_PROFILE? | default '')
    if ($profile | describe) != 'string' { return null }
    if $profile == '' { return '?' }
    if $profile =~ '^[A-Za-z0-9._@+=,:/-]{1,128}$' { $profile } else { null }
}

# The prompt segment: empty without a session.
def mfaenv-prompt [] {
    let expires = (_mfaenv_int MFAENV_EXPIRES 12 false)
    let profile = (_mfaenv_profile)
    if $expires == null or $profile == null { return '' }
    let left = $expires - ((date now | into int) // 1_000_000_000)
    let warn = ((_mfaenv_int MFAENV_WARN 6 true | default 15) * 60)
    let text = if $left <= 0 {
        'expired'
    } else if $left >= 3600 {
        $"($left // 3600)h(($left mod 3600) // 60 | fill --alignment right --character '0' --width 2)m"
    } else if $left >= 60 {
        $"($left // 60)m"
    } else {
        '<1m'
    }
    let segment = $"aws:($profile) ($text)"
    let colour = if $left <= 0 { 'red' } else if $left < $warn { 'yellow' } else { '' }
    if $colour == '' or ($env.NO_COLOR? | default '' | is-not-empty) {
        $segment
    } else {
        $"(ansi $colour)($segment)(ansi reset)"
    }
}

# With MFAENV_AUTO_LOGIN=1, the first prompt after expiry logs in again, once
# per expired session; Ctrl-C or a failure leaves the shell as it was. A
# pre_prompt hook, which may change the environment.
def --env _mfaenv_auto_login [] {
    if ($env.MFAENV_AUTO_LOGIN? | default '') != '1' { return }
    let expires = (_mfaenv_int MFAENV_EXPIRES 12 false)
    let profile = (_mfaenv_profile)
    if $expires == null or $profile == null { return }
    if $expires > ((date now | into int) // 1_000_000_000) { return }
    if ($env._MFAENV_AUTO_TRIED? | default '') == ($expires | into string) { return }
    $env._MFAENV_AUTO_TRIED = ($expires | into string)
    let name = if $profile == '?' { 'default' } else { $profile }
    print -e $"mfaenv: the session of ($name) has expired; logging in again"
    let out = (^mfaenv login --profile $name --shell nu | complete)
    if ($out.stderr | is-not-empty) { print -e --no-newline $out.stderr }
    if $out.exit_code == 0 { $out.stdout | from json | load-env }
}

# Installed once: a second `source` replaces our hook instead of adding one.
$env.config.hooks.pre_prompt = (
    $env.config.hooks.pre_prompt? | default []
    | where {|h| ($h | describe) !~ '^closure' or (view source $h) !~ '_mfaenv_auto_login' }
    | append {|| _mfaenv_auto_login }
)

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
