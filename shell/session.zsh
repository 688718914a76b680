# shellcheck shell=bash
# zsh's .zshrc under `mfa-env shell`: the user's own .zshrc first (ZDOTDIR restored to
# theirs), then the countdown. Code only: the credentials live in the environment.

ZDOTDIR=${MFA_ENV_USER_ZDOTDIR:-$HOME}
if [ -f "$ZDOTDIR/.zshrc" ]; then
  # shellcheck source=/dev/null
  . "$ZDOTDIR/.zshrc"
fi

# The countdown, without prompt_subst (see mfa_env_precmd in prompt.sh): the user's option stays
# as they set it. Added after their .zshrc, so it runs after a theme's precmd that rebuilds
# PROMPT (when their .zshrc has added it already, add-zsh-hook leaves it where it is).
autoload -Uz add-zsh-hook
add-zsh-hook precmd mfa_env_precmd

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
mfa-env-refresh() {
  local code
  code=$(command "${MFA_ENV_BIN:-mfa-env}" export "${MFA_ENV_PROFILE:?no mfa-env session}" --refresh --shell zsh ${MFA_ENV_ENDPOINT:+--expiry-only} "$@") || return
  eval "$code"
}
