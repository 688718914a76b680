# mfa-env for xonsh. In ~/.xonshrc:  execx($(mfa-env init xonsh))
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; other subcommands go to mfa-env as they are (`mfa-env init` writes their list
# below, from the command-line definition). The session comes as
# JSON and goes into $-variables (_mfa_env_apply): no code from mfa-env is run.
# Put {mfa_env} in $PROMPT for the segment.
def _mfa_env_alias(args, stdin=None):
    import subprocess

    env = __xonsh__.env.detype()
    env["MFA_ENV_WRAPPER"] = "__mfa_env_cmd"
    first = args[0] if args else ""
    if first in ["__mfa_env_passthrough"]:
        return subprocess.run(["mfa-env", *args], env=env).returncode
    if first in ("off", "unset"):
        call = ["unset", *args[1:]]
    elif first == "export":
        call = list(args)
    else:
        call = ["export", *args]
    return _mfa_env_apply(["mfa-env", call[0], "--shell", "json", *call[1:]], env)


from xonsh.tools import unthreadable as _mfa_env_unthreadable

aliases["__mfa_env_cmd"] = _mfa_env_unthreadable(_mfa_env_alias)
