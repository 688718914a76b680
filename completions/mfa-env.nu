# mfa-env completions for nushell: save this file and `source` it from config.nu.
def "__mfa_env_complete mfa-env" [spans: list<string>] {
    with-env {MFA_ENV_COMPLETE: nu, _CLAP_COMPLETE_INDEX: ($spans | length | $in - 1 | into string)} {
        ^mfa-env -- ...$spans
    } | lines
}
@complete "__mfa_env_complete mfa-env"
extern "mfa-env" [...args: string]
