# PowerShell startup for `mfa-env shell` (dot-sourced after the user's profile): the countdown
# in front of their prompt. Code only: the credentials live in the environment.
$global:__mfa_env_user_prompt = $function:prompt
function global:prompt {
    $seg = mfa_env_prompt
    if ($seg) { Write-Host $seg -NoNewline -ForegroundColor Yellow }
    & $global:__mfa_env_user_prompt
}
function global:mfa-env-refresh {
    $bin = if ($Env:MFA_ENV_BIN) { $Env:MFA_ENV_BIN } else { 'mfa-env' }
    # Served by the endpoint (shell --server): renew the MFA session and the countdown only.
    $only = @(if ($Env:MFA_ENV_ENDPOINT) { '--expiry-only' })
    $code = & $bin export $Env:MFA_ENV_PROFILE --refresh --shell powershell @only @args | Out-String
    if ($LASTEXITCODE -eq 0) { Invoke-Expression $code }
}
