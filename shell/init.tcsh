alias __mfa_env_cmd 'set __mfa_env_args = (\!*:q); eval "`env MFA_ENV_WRAPPER=__mfa_env_cmd mfa-env wrap --shell tcsh -- $__mfa_env_args:q`"';
