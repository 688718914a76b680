# shellcheck shell=bash
# zsh's first startup file under `mfa-env shell` (ZDOTDIR points here): load the user's own
# .zshenv from their ZDOTDIR, then let zsh go on to this directory's .zshrc.

__mfa_env_zdotdir=$ZDOTDIR
ZDOTDIR=${MFA_ENV_USER_ZDOTDIR:-$HOME}
if [ -f "$ZDOTDIR/.zshenv" ]; then
  # shellcheck source=/dev/null
  . "$ZDOTDIR/.zshenv"
fi
ZDOTDIR=$__mfa_env_zdotdir
