# mfa-env completions for xonsh: source this file from ~/.xonshrc.
def __mfa_env_complete_mfa_env(context):
    import subprocess
    from xonsh.completers.tools import RichCompletion
    command = context.command
    if command is None or command.arg_index < 1:
        return None
    if command.args[0].value != "mfa-env":
        return None
    words = [a.value for a in command.args[: command.arg_index]] + [command.prefix]
    env = __xonsh__.env.detype()
    env["MFA_ENV_COMPLETE"] = "xonsh"
    env["_CLAP_COMPLETE_INDEX"] = str(len(words) - 1)
    try:
        out = subprocess.run(
            ["mfa-env", "--", *words],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {RichCompletion(c, append_space=True) for c in out.splitlines() if c}
__mfa_env_complete_mfa_env.contextual = True
completer add mfa_env_mfa_env __mfa_env_complete_mfa_env start
