# mfa-env prompt segment for elvish: mfa-env-prompt puts the string "[profile 1h23m] " (with
# its trailing space), or "" without a session: a value, so it keeps its place among the others
# of a prompt. elvish has no clock of its own, so the text comes from
# `mfa-env status --prompt`, which reads only the environment.
fn mfa-env-prompt {
  if (and (has-env MFA_ENV_PROFILE) (has-env MFA_ENV_EXPIRATION)) {
    var bin = mfa-env
    if (has-env MFA_ENV_BIN) {
      set bin = $E:MFA_ENV_BIN
    }
    put ((external $bin) status --prompt | slurp)
  } else {
    put ''
  }
}
