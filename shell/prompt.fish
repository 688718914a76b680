# mfa-env prompt segment for fish: prints "[profile 1h23m] " (with its trailing space), or
# nothing without a session. Minutes are rounded up, as mfa-env status does.
function mfa_env_prompt --description 'mfa-env session and time left'
    set -q MFA_ENV_PROFILE; or return 0
    string match -qr '^[0-9]+$' -- "$MFA_ENV_EXPIRATION"; or return 0
    set -l left (math "$MFA_ENV_EXPIRATION - "(date +%s))
    set -l minutes (math "ceil($left / 60)")
    set -l text expired
    if test $left -gt 0 -a $minutes -ge 60
        set text (printf '%dh%02dm' (math "floor($minutes / 60)") (math "$minutes % 60"))
    else if test $left -gt 0
        set text (printf '%dm' $minutes)
    end
    printf '[%s %s] ' "$MFA_ENV_PROFILE" $text
end

# 0 fine, 1 the countdown shows 9m or less (540 s, minutes rounded up), 2 expired.
function __mfa_env_warn
    string match -qr '^[0-9]+$' -- "$MFA_ENV_EXPIRATION"; or return 0
    set -l left (math "$MFA_ENV_EXPIRATION - "(date +%s))
    if test $left -le 0
        echo 2
    else if test $left -le 540
        echo 1
    else
        echo 0
    end
end
