# shellcheck shell=bash
# mfa-env for bash and zsh. In ~/.bashrc:  eval "$(mfa-env init bash)"
#                           in ~/.zshrc:   eval "$(mfa-env init zsh)"
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; other subcommands go to mfa-env as they are (`mfa-env init` writes their list
# below, from the command-line definition).
# mfa_env_prompt prints the segment for your prompt.

if [ -n "${ZSH_VERSION-}" ]; then
  __mfa_env_shell=zsh
else
  __mfa_env_shell=bash
fi

__mfa_env_cmd() {
  local code
  case ${1-} in
    off | unset)
      shift
      code=$(MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env unset --shell "$__mfa_env_shell" "$@") || return
      eval "$code"
      ;;
    __mfa_env_passthrough)
      MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env "$@"
      ;;
    export)
      shift
      code=$(MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env export --shell "$__mfa_env_shell" "$@") || return
      eval "$code"
      ;;
    *)
      code=$(MFA_ENV_WRAPPER=__mfa_env_cmd command mfa-env export --shell "$__mfa_env_shell" "$@") || return
      eval "$code"
      ;;
  esac
}
