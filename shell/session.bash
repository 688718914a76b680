# shellcheck shell=bash
# bash --rcfile for `mfa-env shell`: the user's own ~/.bashrc first, then the countdown.
# Code only: the credentials live in the environment, never in this file.

if [ -f "$HOME/.bashrc" ]; then
  # shellcheck source=/dev/null
  . "$HOME/.bashrc"
fi

# Runs last at every prompt, after the user's own prompt code: a prompt rebuilt at each prompt
# (starship, themes, PROMPT_COMMAND='PS1=…') gets the segment back, once. A prompt that shows it
# already (PS1='$(mfa_env_prompt)'… from mfa-env init) is left alone. $? is kept for PS1.
__mfa_env_prompt_command() {
  local status=$?
  __mfa_env_update
  __mfa_env_style
  # The variables come from prompt.sh (mfa-env puts it first) and expand at each prompt.
  # shellcheck disable=SC2016,SC2154
  case $PS1 in
    *'${__mfa_env_seg}'* | *mfa_env_prompt*) ;;
    *)
      # Nor one where the segment was expanded when PS1 was assigned (PS1="$(mfa_env_prompt)…").
      if [ -z "$__mfa_env_seg" ] || [[ $PS1 != *"$__mfa_env_seg"* ]]; then
        PS1='\[${__mfa_env_color}\]${__mfa_env_seg}\[${__mfa_env_reset}\]'$PS1
      fi
      ;;
  esac
  return "$status"
}

# bash 5.1 runs every element of a PROMPT_COMMAND array (a string becomes element 0); older
# bash runs a string only.
if [ "${BASH_VERSINFO[0]}" -gt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -ge 1 ]; }; then
  PROMPT_COMMAND+=(__mfa_env_prompt_command)
else
  # shellcheck disable=SC2128,SC2178
  PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND;}__mfa_env_prompt_command"
fi

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
mfa-env-refresh() {
  local code
  code=$(command "${MFA_ENV_BIN:-mfa-env}" export "${MFA_ENV_PROFILE:?no mfa-env session}" --refresh --shell bash ${MFA_ENV_ENDPOINT:+--expiry-only} "$@") || return
  eval "$code"
}
