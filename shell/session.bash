# shellcheck shell=bash
# bash --rcfile for `mfa-env shell`: the user's own ~/.bashrc first, then the countdown.
# Code only: the credentials live in the environment, never in this file.

if [ -f "$HOME/.bashrc" ]; then
  # shellcheck source=/dev/null
  . "$HOME/.bashrc"
fi

__mfa_env_prompt_command() {
  __mfa_env_update
  __mfa_env_style
}

PROMPT_COMMAND="__mfa_env_prompt_command${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
# The variables come from prompt.sh (mfa-env puts it first) and expand at each prompt.
# shellcheck disable=SC2016,SC2154
PS1='\[${__mfa_env_color}\]${__mfa_env_seg}\[${__mfa_env_reset}\]'"${PS1-\$ }"

# Re-authenticates in place, so an expiring session does not force you out.
mfa-env-refresh() {
  local code
  code=$(command "${MFA_ENV_BIN:-mfa-env}" export "${MFA_ENV_PROFILE:?no mfa-env session}" --refresh --shell bash "$@") || return
  eval "$code"
}
