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
    # program's status. The subcommand may follow global options (`mfaenv
    # --debug login`): they stay where the user wrote them, and `--shell pwsh`
    # goes right after the subcommand.
    function global:mfaenv {
        $exe = _mfaenv_exe
        $i = 0
        while ($i -lt $args.Count -and $args[$i] -ceq '--debug') {
            $i++
        }
        $verb = if ($i -lt $args.Count) { $args[$i] } else { '' }
        # Help text is for reading, not for Invoke-Expression.
        $help = $args -contains '--help' -or $args -contains '-h'
        if (($verb -ceq 'login' -or $verb -ceq 'logout') -and -not $help) {
            $head = @($args | Select-Object -First ($i + 1))
            $rest = @($args | Select-Object -Skip ($i + 1))
            $out = & $exe @head --shell pwsh @rest | Out-String
            if ($LASTEXITCODE -eq 0 -and $out) {
                Invoke-Expression -Command $out
            }
        }
        else {
            & $exe @args
        }
    }

    # Every variable the hook reads is input: only these shapes are used, and
    # any other value shows no segment. \A and \z, not ^ and $: .NET's $ also
    # matches before a final newline.
    function _mfaenv_int([string]$Value, [int]$Digits, [bool]$Zero) {
        $plain = $Value -cmatch '\A[1-9][0-9]*\z' -or ($Zero -and $Value -ceq '0')
        if ($plain -and $Value.Length -le $Digits) { [long]$Value } else { $null }
    }

    function _mfaenv_profile {
        $name = "$Env:MFAENV_PROFILE"
        if (-not $name) { return '?' }
        if ($name -cmatch '\A[A-Za-z0-9._@+=,:/-]{1,128}\z') { $name } else { $null }
    }

    function global:Get-MfaenvPrompt {
        $expires = _mfaenv_int "$Env:MFAENV_EXPIRES" 12 $false
        $name = _mfaenv_profile
        if ($null -eq $expires -or $null -eq $name) {
            return ''
        }
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        if ($expires -le $now -and "$Env:MFAENV_AUTO_LOGIN" -ceq '1' -and
            "$script:AutoTried" -cne "$expires") {
            # Once per expired session; Ctrl-C or a failure changes nothing.
            $script:AutoTried = "$expires"
            $profileName = if ($name -ne '?') { $name } else { 'default' }
            [Console]::Error.WriteLine("mfaenv: the session of $profileName has expired; logging in again")
            mfaenv login --profile $profileName
            $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
            $expires = _mfaenv_int "$Env:MFAENV_EXPIRES" 12 $false
            $name = _mfaenv_profile
            if ($null -eq $expires -or $null -eq $name) {
                return ''
            }
        }
        $left = $expires - $now
        $warn = 900
        $minutes = _mfaenv_int "$Env:MFAENV_WARN" 6 $true
        if ($null -ne $minutes) {
            $warn = $minutes * 60
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
