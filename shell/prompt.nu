# mfa-env prompt segment for nushell: `mfa_env_prompt` gives "[profile 1h23m] " (with its
# trailing space), or "" without a session; computed in nushell itself, no process started.
# Minutes are rounded up, as mfa-env status does.

# Seconds left, or null without a session.
def __mfa_env_left [] {
    let exp = ($env.MFA_ENV_EXPIRATION? | default "" | into string)
    if ($env.MFA_ENV_PROFILE? | default "") == "" or not ($exp =~ '^[0-9]+$') {
        return null
    }
    ($exp | into int) - (date now | format date '%s' | into int)
}

def mfa_env_prompt [] {
    let left = (__mfa_env_left)
    if $left == null { return "" }
    let minutes = (($left + 59) // 60)
    let text = if $left <= 0 {
        "expired"
    } else if $minutes >= 60 {
        let m = ($minutes mod 60 | into string | fill --alignment right --character '0' --width 2)
        $"($minutes // 60)h($m)m"
    } else {
        $"($minutes)m"
    }
    $"[($env.MFA_ENV_PROFILE) ($text)] "
}

# The segment in yellow once it shows 9m or less (540 s, minutes rounded up), red once expired.
def mfa_env_prompt_styled [] {
    let seg = (mfa_env_prompt)
    let left = (__mfa_env_left)
    if $seg == "" {
        ""
    } else if $left <= 0 {
        $"(ansi red)($seg)(ansi reset)"
    } else if $left <= 540 {
        $"(ansi yellow)($seg)(ansi reset)"
    } else {
        $seg
    }
}
