alias __mfa_env_cmd 'eval "`env MFA_ENV_WRAPPER=__mfa_env_cmd mfa-env wrap --shell tcsh -- \!*`"';
