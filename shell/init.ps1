# mfa-env for PowerShell. In $PROFILE:  Invoke-Expression (& mfa-env init powershell | Out-String)
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; other subcommands go to mfa-env as they are (`mfa-env init` writes their list
# below, from the command-line definition).
# mfa_env_prompt returns the segment for your prompt.
function global:__mfa_env_cmd {
    # Tells mfa-env to word its hints for this function (`mfa off`), for this call only.
    $Env:MFA_ENV_WRAPPER = '__mfa_env_cmd'
    try {
        $sub = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
        $rest = if ($args.Count -gt 1) { $args[1..($args.Count - 1)] } else { @() }
        if ($sub -in @('off', 'unset')) {
            $code = & mfa-env unset --shell powershell @rest | Out-String
        } elseif ($sub -in @('__mfa_env_passthrough')) {
            & mfa-env @args
            return
        } elseif ($sub -eq 'export') {
            $code = & mfa-env export --shell powershell @rest | Out-String
        } else {
            $code = & mfa-env export --shell powershell @args | Out-String
        }
        if ($LASTEXITCODE -eq 0) { Invoke-Expression $code }
    } finally {
        Remove-Item -LiteralPath Env:MFA_ENV_WRAPPER -ErrorAction SilentlyContinue
    }
}
