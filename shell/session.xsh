# xonsh rc for `mfa-env shell`, after the user's own (mfa-env names theirs first in --rc): the
# countdown in front of their prompt. Code only: the credentials live in the environment.
def _mfa_env_session_prompt(user=$PROMPT):
    left = _mfa_env_left()
    segment = mfa_env_prompt().replace("{", "{{").replace("}", "}}")
    text = user() if callable(user) else str(user)
    if "{mfa_env}" in text or not segment:
        return text
    if left <= 0:
        segment = "{RED}" + segment + "{RESET}"
    elif left < 600:
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
