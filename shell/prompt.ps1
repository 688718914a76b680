# mfa-env prompt segment for PowerShell: "[profile 1h23m]", or nothing without a session.
function global:mfa_env_prompt {
    if (-not $Env:MFA_ENV_PROFILE -or $Env:MFA_ENV_EXPIRATION -notmatch '^[0-9]+$') { return '' }
    $left = [int64]$Env:MFA_ENV_EXPIRATION - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($left -le 0) { $text = 'expired' }
    elseif ($left -ge 3600) { $text = '{0}h{1:d2}m' -f [math]::Floor($left / 3600), [math]::Floor(($left % 3600) / 60) }
    else { $text = '{0}m' -f [math]::Floor($left / 60) }
    return "[$($Env:MFA_ENV_PROFILE) $text]"
}
