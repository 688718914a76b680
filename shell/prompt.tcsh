alias mfa_env_prompt 'mfa-env status --prompt';
