# ~/.tcshrc for `mfa-env shell` (HOME points here for a moment): HOME back, the user's own
# ~/.tcshrc (or ~/.cshrc), then the countdown in front of their prompt through %$ and a
# precmd that runs after theirs. Code only: the credentials live in the environment.
if ( $?MFA_ENV_USER_HOME ) then
  setenv HOME "$MFA_ENV_USER_HOME"
  unsetenv MFA_ENV_USER_HOME
endif
if ( -r "$HOME/.tcshrc" ) then
  source "$HOME/.tcshrc"
else if ( -r "$HOME/.cshrc" ) then
  source "$HOME/.cshrc"
endif
set __mfa_env_bin = mfa-env
if ( $?MFA_ENV_BIN ) set __mfa_env_bin = "$MFA_ENV_BIN"
set __mfa_env_seg = ""
if ( `alias precmd | wc -c` > 0 ) then
  alias __mfa_env_user_precmd "`alias precmd`"
  alias precmd '__mfa_env_user_precmd; set __mfa_env_seg = "`$__mfa_env_bin status --prompt`"'
else
  alias precmd 'set __mfa_env_seg = "`$__mfa_env_bin status --prompt`"'
endif
if ( ! $?prompt ) set prompt = "> "
set prompt = '%${__mfa_env_seg}'"$prompt"

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
alias mfa-env-refresh 'set __mfa_env_args = (\!*:q); set __mfa_env_only = (); if ( $?MFA_ENV_ENDPOINT ) set __mfa_env_only = (--expiry-only); eval "`$__mfa_env_bin export $MFA_ENV_PROFILE:q --refresh --shell tcsh $__mfa_env_only $__mfa_env_args:q`"'
