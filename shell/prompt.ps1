# mfa-env prompt segment for PowerShell: "[profile 1h23m] " (with its trailing space), or
# nothing without a session. Minutes are rounded up, as mfa-env status does.
function global:mfa_env_prompt {
    if (-not $Env:MFA_ENV_PROFILE -or $Env:MFA_ENV_EXPIRATION -notmatch '^[0-9]+$') { return '' }
    $left = [int64]$Env:MFA_ENV_EXPIRATION - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    $minutes = [int64][math]::Ceiling($left / 60)
    if ($left -le 0) { $text = 'expired' }
    elseif ($minutes -ge 60) { $text = '{0}h{1:d2}m' -f [math]::Floor($minutes / 60), ($minutes % 60) }
    else { $text = '{0}m' -f $minutes }
    return "[$($Env:MFA_ENV_PROFILE) $text] "
}
