# mfa-env for elvish. In ~/.config/elvish/rc.elv:  eval (mfa-env init elvish | slurp)
# `mfa PROFILE [options]` applies a session to this shell, `mfa off` drops it, `mfa status`
# shows it; other subcommands go to mfa-env as they are (`mfa-env init` writes their list
# below, from the command-line definition).
# mfa-env-prompt outputs the segment for your prompt: set edit:prompt = { mfa-env-prompt; … }
fn __mfa_env_cmd {|@args|
  var first = ''
  if (> (count $args) 0) {
    set first = $args[0]
  }
  tmp E:MFA_ENV_WRAPPER = __mfa_env_cmd
  if (has-value [__mfa_env_passthrough] $first) {
    e:mfa-env $@args
    return
  }
  var sub = export
  var rest = $args
  if (has-value [off unset export] $first) {
    set rest = $args[1..]
    if (not-eq $first export) {
      set sub = unset
    }
  }
  # On failure mfa-env prints nothing on stdout and its exit stops this: nothing is applied.
  eval (e:mfa-env $sub --shell elvish $@rest | slurp)
}

# Code that `eval` runs keeps its definitions to itself: in the interactive editor the
# functions join the REPL's namespace (scripts have no edit: module, and keep them local).
var __mfa_env_add = $nil
try {
  set __mfa_env_add = (eval 'put $edit:add-var~')
} catch {
}
if $__mfa_env_add {
  $__mfa_env_add __mfa_env_cmd~ $__mfa_env_cmd~
  $__mfa_env_add mfa-env-prompt~ $mfa-env-prompt~
}
