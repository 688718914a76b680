# mfa-env prompt segment (and the helper that applies a session) for xonsh: mfa_env_prompt() returns "[profile 1h23m] " (with its
# trailing space), or "" without a session; the {mfa_env} prompt field shows it. Computed in
# xonsh itself, no process started; minutes rounded up, as mfa-env status does.
def _mfa_env_left():
    import time
    profile = str(__xonsh__.env.get("MFA_ENV_PROFILE", "") or "")
    expiration = str(__xonsh__.env.get("MFA_ENV_EXPIRATION", "") or "")
    if not profile or not expiration.isdigit():
        return None
    return int(expiration) - int(time.time())


def mfa_env_prompt():
    left = _mfa_env_left()
    if left is None:
        return ""
    minutes = (left + 59) // 60
    if left <= 0:
        text = "expired"
    elif minutes >= 60:
        text = "%dh%02dm" % (minutes // 60, minutes % 60)
    else:
        text = "%dm" % minutes
    return "[%s %s] " % (__xonsh__.env["MFA_ENV_PROFILE"], text)


$PROMPT_FIELDS["mfa_env"] = mfa_env_prompt


# Runs mfa-env with --shell json and puts what it prints into $-variables (null: removed).
# On failure mfa-env has said why and printed nothing: nothing is applied.
def _mfa_env_apply(argv, env):
    import json
    import subprocess

    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE)
    # Help (`mfa work --help`) goes to stderr and leaves nothing to apply.
    if done.returncode != 0 or not done.stdout.strip():
        return done.returncode
    for name, value in json.loads(done.stdout).items():
        if value is None:
            __xonsh__.env.pop(name, None)
        else:
            __xonsh__.env[name] = value
    return 0
