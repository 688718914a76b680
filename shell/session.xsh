# xonsh rc for `mfa-env shell`, after the user's own (mfa-env names theirs first in --rc): the
# countdown in front of their prompt. Code only: the credentials live in the environment.

# xonsh's JSON history writes the whole environment of each interactive session into its file
# under $XONSH_DATA_DIR: the credentials stay out of it (the history itself is kept).
def _mfa_env_keep_secrets_out_of_history():
    import xonsh.history.main as history

    construct = history.construct_history

    def construct_history(*args, **kwargs):
        env = kwargs.get("env")
        if isinstance(env, dict):
            for name in (
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            ):
                env.pop(name, None)
        return construct(*args, **kwargs)

    history.construct_history = construct_history


_mfa_env_keep_secrets_out_of_history()
def _mfa_env_session_prompt(user=$PROMPT):
    left = _mfa_env_left()
    segment = mfa_env_prompt().replace("{", "{{").replace("}", "}}")
    text = user() if callable(user) else str(user)
    if "{mfa_env}" in text or not segment:
        return text
    if left <= 0:
        segment = "{RED}" + segment + "{RESET}"
    elif left <= 540:  # 9m or less on the segment (minutes rounded up)
        segment = "{YELLOW}" + segment + "{RESET}"
    return segment + text


$PROMPT = _mfa_env_session_prompt


# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
def _mfa_env_refresh(args, stdin=None):
    env = __xonsh__.env.detype()
    only = ["--expiry-only"] if env.get("MFA_ENV_ENDPOINT") else []
    profile = env.get("MFA_ENV_PROFILE", "")
    if not profile:
        import sys

        print("no mfa-env session", file=sys.stderr)
        return 1
    bin = env.get("MFA_ENV_BIN", "mfa-env")
    argv = [bin, "export", profile, "--refresh", "--shell", "json", *only, *args]
    return _mfa_env_apply(argv, env)


from xonsh.tools import unthreadable as _mfa_env_unthreadable

aliases["mfa-env-refresh"] = _mfa_env_unthreadable(_mfa_env_refresh)
