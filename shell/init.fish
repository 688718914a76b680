# mfa-env for fish. In ~/.config/fish/config.fish:  mfa-env init fish | source
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; anything else goes to mfa-env. mfa_env_prompt prints the segment for your prompt.
function __mfa_env_cmd --description 'mfa-env: apply, drop or show a session in this shell'
    switch "$argv[1]"
        case off unset
            command mfa-env unset --shell fish $argv[2..-1] | source
            return $pipestatus[1]
        case status list logout exec shell init completions credential-process help -h --help -V --version
            command mfa-env $argv
        case export
            command mfa-env export --shell fish $argv[2..-1] | source
            return $pipestatus[1]
        case '*'
            command mfa-env export --shell fish $argv | source
            return $pipestatus[1]
    end
end
