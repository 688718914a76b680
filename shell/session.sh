# shellcheck shell=sh
# $ENV file for `mfa-env shell` with a POSIX sh: the profile in the prompt (sh has no clock
# without starting a process; bash, zsh and fish show the time left).
if [ -n "${MFA_ENV_USER_ENV-}" ] && [ -f "$MFA_ENV_USER_ENV" ]; then
  # shellcheck source=/dev/null
  . "$MFA_ENV_USER_ENV"
fi
PS1="[${MFA_ENV_PROFILE-}] ${PS1-\$ }"
