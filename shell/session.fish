# fish init command for `mfa-env shell`, run after the user's own config: the countdown in
# front of their prompt. Code only: the credentials live in the environment.

if functions -q fish_prompt; and functions fish_prompt | string match -q '*mfa_env_prompt*'
    # The user's own prompt shows the segment already (mfa-env init): it stays as it is.
else
    if functions -q fish_prompt
        functions -c fish_prompt __mfa_env_user_prompt
    else
        function __mfa_env_user_prompt
            printf '> '
        end
    end

    function fish_prompt
        set -l seg (mfa_env_prompt)
        if test -n "$seg"
            switch (__mfa_env_warn)
                case 1
                    set_color yellow
                case 2
                    set_color red
            end
            printf '%s' $seg
            set_color normal
        end
        __mfa_env_user_prompt
    end
end

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
function mfa-env-refresh
    set -q MFA_ENV_PROFILE; or return 1
    set -l bin mfa-env
    set -q MFA_ENV_BIN; and set bin $MFA_ENV_BIN
    set -l only
    set -q MFA_ENV_ENDPOINT; and set only --expiry-only
    # On failure mfa-env prints nothing on stdout, so nothing is sourced.
    command $bin export $MFA_ENV_PROFILE --refresh --shell fish $only $argv | source
    # mfa-env's status (130 after Ctrl-C at the prompt), not source's.
    return $pipestatus[1]
end
