# nushell startup for `mfa-env shell`, sourced after the user's config: the countdown in front
# of their prompt. Code only: the credentials live in the environment.

let __mfa_env_user_prompt = ($env.PROMPT_COMMAND? | default {|| $env.PWD })
$env.PROMPT_COMMAND = {||
    let user = if ($__mfa_env_user_prompt | describe) == "closure" {
        do $__mfa_env_user_prompt
    } else {
        $__mfa_env_user_prompt | into string
    }
    let seg = (mfa_env_prompt)
    # A prompt that shows the segment already (mfa_env_prompt from mfa-env init) stays as it is.
    if $seg != "" and ($user | ansi strip | str starts-with $seg) {
        $user
    } else {
        (mfa_env_prompt_styled) + $user
    }
}

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
def --env --wrapped mfa-env-refresh [...args: string] {
    let profile = ($env.MFA_ENV_PROFILE? | default "")
    if $profile == "" { error make {msg: "no mfa-env session"} }
    let bin = ($env.MFA_ENV_BIN? | default "mfa-env")
    let only = if ($env.MFA_ENV_ENDPOINT? | default "") != "" { ["--expiry-only"] } else { [] }
    let out = (^$bin export $profile --refresh --shell nu ...$only ...$args)
    # Help (`mfa work --help`) goes to stderr and leaves nothing to apply.
    if ($out | str trim | is-empty) { return }
    let changes = ($out | from json)
    hide-env -i ...$changes.unset
    load-env $changes.set
}
