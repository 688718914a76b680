# shellcheck shell=bash
# zsh's .zshrc under `mfa-env shell`: the user's own .zshrc first (ZDOTDIR restored to
# theirs), then the countdown. Code only: the credentials live in the environment.

ZDOTDIR=${MFA_ENV_USER_ZDOTDIR:-$HOME}
if [ -f "$ZDOTDIR/.zshrc" ]; then
  # shellcheck source=/dev/null
  . "$ZDOTDIR/.zshrc"
fi

setopt prompt_subst
autoload -Uz add-zsh-hook

__mfa_env_precmd() {
  __mfa_env_update
  __mfa_env_style
  # A profile name may hold %, which zsh's prompt would read as an escape.
  __mfa_env_seg=${__mfa_env_seg//\%/%%}
  # Themes that rebuild PROMPT at every prompt lose the prefix: put it back. Single quotes:
  # the segment expands at each prompt (prompt_subst), not now. A prompt that shows it already
  # (PROMPT='$(mfa_env_prompt)'… from mfa-env init) is left alone.
  # shellcheck disable=SC2016
  case $PROMPT in
    *'${__mfa_env_seg}'* | *mfa_env_prompt*) ;;
    *)
      # Nor one where the segment was expanded when PROMPT was set (PROMPT="$(mfa_env_prompt)…").
      if [[ -z $__mfa_env_seg || $PROMPT != *"$__mfa_env_seg"* ]]; then
        PROMPT='%{${__mfa_env_color}%}${__mfa_env_seg}%{${__mfa_env_reset}%}'$PROMPT
      fi
      ;;
  esac
}
add-zsh-hook precmd __mfa_env_precmd

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
mfa-env-refresh() {
  local code
  code=$(command "${MFA_ENV_BIN:-mfa-env}" export "${MFA_ENV_PROFILE:?no mfa-env session}" --refresh --shell zsh ${MFA_ENV_ENDPOINT:+--expiry-only} "$@") || return
  eval "$code"
}
