# mfaenv hook for PowerShell (pwsh 7 and Windows PowerShell 5.1). Load it from $PROFILE with:
#     mfaenv init pwsh | Out-String | Invoke-Expression        # add --prompt for the segment
# Then `mfaenv login` / `mfaenv logout` change this session, and
# Get-MfaenvPrompt returns the prompt segment (`aws:work 11h52m`), computed in
# process from $Env:MFAENV_EXPIRES: no process is started per prompt.

$null = New-Module -Name mfaenv-hook -ScriptBlock {
    # The real program, not this function: an Application, found on PATH.
    function _mfaenv_exe {
        (Get-Command -Name mfaenv -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    }

    # For login/logout, run the program and evaluate its output only if it
    # succeeded; every other subcommand passes through. $LASTEXITCODE keeps the
    # program's status.
    function global:mfaenv {
        $exe = _mfaenv_exe
        # Help text is for reading, not for Invoke-Expression.
        $help = $args -contains '--help' -or $args -contains '-h'
        if ($args.Count -gt 0 -and ($args[0] -eq 'login' -or $args[0] -eq 'logout') -and -not $help) {
            $rest = @($args | Select-Object -Skip 1)
            $out = & $exe $args[0] --shell pwsh @rest | Out-String
            if ($LASTEXITCODE -eq 0 -and $out) {
                Invoke-Expression -Command $out
            }
        }
        else {
            & $exe @args
        }
    }

    function global:Get-MfaenvPrompt {
        if ("$Env:MFAENV_EXPIRES" -notmatch '^[0-9]+$') {
            return ''
        }
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        if ([long]$Env:MFAENV_EXPIRES -le $now -and $Env:MFAENV_AUTO_LOGIN -eq '1' -and
            $script:AutoTried -ne $Env:MFAENV_EXPIRES) {
            # Once per expired session; Ctrl-C or a failure changes nothing.
            $script:AutoTried = $Env:MFAENV_EXPIRES
            $profileName = if ($Env:MFAENV_PROFILE) { $Env:MFAENV_PROFILE } else { 'default' }
            [Console]::Error.WriteLine("mfaenv: the session of $profileName has expired; logging in again")
            mfaenv login --profile $profileName
            $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
            if ("$Env:MFAENV_EXPIRES" -notmatch '^[0-9]+$') {
                return ''
            }
        }
        $left = [long]$Env:MFAENV_EXPIRES - $now
        $warn = 900
        if ("$Env:MFAENV_WARN" -match '^[0-9]+$') {
            $warn = [long]$Env:MFAENV_WARN * 60
        }
        $colour = ''
        if ($left -le 0) {
            $text = 'expired'
            $colour = '31'
        }
        elseif ($left -ge 3600) {
            $text = '{0}h{1:00}m' -f [math]::Floor($left / 3600), [math]::Floor(($left % 3600) / 60)
        }
        elseif ($left -ge 60) {
            $text = '{0}m' -f [math]::Floor($left / 60)
        }
        else {
            $text = '<1m'
        }
        if ($left -gt 0 -and $left -lt $warn) {
            $colour = '33'
        }
        $name = if ($Env:MFAENV_PROFILE) { $Env:MFAENV_PROFILE } else { '?' }
        $segment = "aws:$name $text"
        if ($colour -and -not $Env:NO_COLOR) {
            $esc = [char]27  # Windows PowerShell 5.1 has no `e
            $segment = "$esc[${colour}m$segment$esc[0m"
        }
        $segment
    }

    # Chains the prompt that was there (only with `mfaenv init pwsh --prompt`).
    function global:_mfaenv_install_prompt {
        if (Test-Path -Path Function:\_mfaenv_user_prompt) {
            return
        }
        Set-Item -Path Function:\global:_mfaenv_user_prompt -Value $function:prompt
        function global:prompt {
            $segment = Get-MfaenvPrompt
            $inner = _mfaenv_user_prompt
            if ($segment) { "$segment $inner" } else { $inner }
        }
    }

    Export-ModuleMember -Function @()
}
