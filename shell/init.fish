# mfa-env for fish. In ~/.config/fish/config.fish:  mfa-env init fish | source
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; other subcommands go to mfa-env as they are (`mfa-env init` writes their list
# below, from the command-line definition).
# mfa_env_prompt prints the segment for your prompt.
function __mfa_env_cmd --description 'mfa-env: apply, drop or show a session in this shell'
    switch "$argv[1]"
        case off unset
            MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env unset --shell fish $argv[2..-1] | source
            return $pipestatus[1]
        case __mfa_env_passthrough
            MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env $argv
        case export
            MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env export --shell fish $argv[2..-1] | source
            return $pipestatus[1]
        case '*'
            MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env export --shell fish $argv | source
            return $pipestatus[1]
    end
end
