# mfa-env for nushell, which cannot eval text: save this once and source it from config.nu,
#   mkdir $nu.default-config-dir
#   mfa-env init nu | save -f ($nu.default-config-dir | path join mfa-env.nu)
#   # config.nu:  source mfa-env.nu
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; other subcommands go to mfa-env as they are (`mfa-env init` writes their list
# below, from the command-line definition). mfa-env hands nushell
# data (JSON), never code: `hide-env` and `load-env` apply it. mfa_env_prompt gives the segment
# for your PROMPT_COMMAND.
@complete "__mfa_env_complete mfa-env"
def --env --wrapped __mfa_env_cmd [...args: string] {
    let first = ($args | get -o 0 | default "")
    if $first in ["__mfa_env_passthrough"] {
        with-env {MFA_ENV_WRAPPER: "__mfa_env_cmd"} { ^mfa-env ...$args }
        return
    }
    let call = if $first in ["off" "unset"] {
        ["unset" ...($args | skip 1)]
    } else if $first == "export" {
        $args
    } else {
        ["export" ...$args]
    }
    # On failure mfa-env has said why on stderr and printed nothing: its exit status ends
    # this call (and a `mfa work; terraform apply` line) before anything is applied.
    let out = (with-env {MFA_ENV_WRAPPER: "__mfa_env_cmd"} {
        ^mfa-env ($call | first) --shell nu ...($call | skip 1)
    })
    # Help (`mfa work --help`) goes to stderr and leaves nothing to apply.
    if ($out | str trim | is-empty) { return }
    let changes = ($out | from json)
    hide-env -i ...$changes.unset
    load-env $changes.set
}
