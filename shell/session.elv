
# elvish rc for `mfa-env shell`, after the user's own rc.elv (mfa-env puts it first): the
# countdown in front of their prompt. Code only: the credentials live in the environment.
var __mfa_env_user_prompt = $edit:prompt
set edit:prompt = {
  var seg = (mfa-env-prompt)
  if (eq $seg '') {
  } elif (has-env MFA_ENV_EXPIRATION) {
    var left = (- $E:MFA_ENV_EXPIRATION (e:date +%s))
    if (<= $left 0) {
      styled $seg red
    } elif (<= $left 540) {
      # 9m or less on the segment (minutes rounded up): the colour changes with the text.
      styled $seg yellow
    } else {
      put $seg
    }
  }
  $__mfa_env_user_prompt
}

# Re-authenticates in place, so an expiring session does not force you out. Served by the
# endpoint (shell --server), it renews the MFA session the endpoint renews from, and the
# countdown: the keys stay out of the environment.
fn mfa-env-refresh {|@args|
  var bin = mfa-env
  if (has-env MFA_ENV_BIN) {
    set bin = $E:MFA_ENV_BIN
  }
  var only = []
  if (has-env MFA_ENV_ENDPOINT) {
    set only = [--expiry-only]
  }
  eval ((external $bin) export $E:MFA_ENV_PROFILE --refresh --shell elvish $@only $@args | slurp)
}
