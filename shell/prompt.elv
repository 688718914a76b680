# mfa-env prompt segment for elvish: mfa-env-prompt outputs "[profile 1h23m] " (with its
# trailing space), or nothing without a session. elvish has no clock of its own, so the text
# comes from `mfa-env status --prompt`, which reads only the environment.
fn mfa-env-prompt {
  if (and (has-env MFA_ENV_PROFILE) (has-env MFA_ENV_EXPIRATION)) {
    var bin = mfa-env
    if (has-env MFA_ENV_BIN) {
      set bin = $E:MFA_ENV_BIN
    }
    (external $bin) status --prompt
  }
}
