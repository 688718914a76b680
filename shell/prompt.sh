# shellcheck shell=bash
# mfa-env prompt segment for bash and zsh: "[profile 1h23m]" from MFA_ENV_PROFILE and
# MFA_ENV_EXPIRATION, computed by the shell itself (no process is started).

if [ -n "${ZSH_VERSION-}" ]; then
  zmodload zsh/datetime 2>/dev/null || true
fi

# Sets __mfa_env_seg to "[profile 1h23m] " (or empty) and __mfa_env_warn to 0 (fine),
# 1 (the countdown shows 9m or less: under 10 minutes, rounded up) or 2 (expired).
__mfa_env_update() {
  __mfa_env_seg=
  __mfa_env_warn=0
  case ${MFA_ENV_EXPIRATION-} in
    '' | *[!0-9]*) return 0 ;;
  esac
  [ -n "${MFA_ENV_PROFILE-}" ] || return 0
  local now left minutes hours text
  if [ -n "${EPOCHSECONDS-}" ]; then
    now=$EPOCHSECONDS
  elif [ -n "${BASH_VERSION-}" ]; then
    printf -v now '%(%s)T' -1
  else
    now=$(date +%s)
  fi
  left=$((MFA_ENV_EXPIRATION - now))
  # Minutes rounded up, as mfa-env status does.
  minutes=$(((left + 59) / 60))
  hours=$((minutes / 60))
  minutes=$((minutes % 60))
  if [ "$left" -le 0 ]; then
    text=expired
    __mfa_env_warn=2
  elif [ "$hours" -gt 0 ]; then
    [ "$minutes" -ge 10 ] || minutes=0$minutes
    text=${hours}h${minutes}m
  else
    text=${minutes}m
  fi
  # 540 s and less shows 9m or less: the colour changes with the text, not at a "10m".
  if [ "$left" -gt 0 ] && [ "$left" -le 540 ]; then
    __mfa_env_warn=1
  fi
  __mfa_env_seg="[${MFA_ENV_PROFILE} ${text}] "
}

# Prints "[profile 1h23m] " (with its own trailing space), or nothing without a session: for
# your own PS1 / PROMPT, as PS1='$(mfa_env_prompt)'$PS1.
mfa_env_prompt() {
  __mfa_env_update
  printf '%s' "$__mfa_env_seg"
}

# Escape sequences for the segment: yellow once it shows 9m or less, red once expired.
__mfa_env_style() {
  case $__mfa_env_warn in
    1) __mfa_env_color=$'\e[33m' __mfa_env_reset=$'\e[0m' ;;
    2) __mfa_env_color=$'\e[31m' __mfa_env_reset=$'\e[0m' ;;
    *) __mfa_env_color='' __mfa_env_reset='' ;;
  esac
}

# zsh: puts the segment in front of PROMPT at each prompt as text already computed, so it needs
# no prompt_subst: with that option on, text a precmd puts into PROMPT (a git branch named
# '$(…)') runs at every prompt, so mfa-env never turns it on. The prompt's own escapes in the
# segment are quoted: % always, and \ $ ` too when the user has prompt_subst on. The segment
# added last time is taken off first, so running it twice (from init and from `mfa-env shell`)
# still shows one. In ~/.zshrc: add-zsh-hook precmd mfa_env_precmd
mfa_env_precmd() {
  __mfa_env_update
  __mfa_env_style
  local rest=$PROMPT text=$__mfa_env_seg
  if [ -n "${__mfa_env_prefix-}" ] && [[ $rest == "$__mfa_env_prefix"* ]]; then
    rest=${rest#"$__mfa_env_prefix"}
  fi
  __mfa_env_prefix=
  # A prompt that shows the segment itself (PROMPT='$(mfa_env_prompt)…', or its text expanded
  # when PROMPT was set) gets no second one.
  if [[ $rest != *mfa_env_prompt* ]] && { [ -z "$text" ] || [[ $rest != *"$text"* ]]; }; then
    text=${text//\%/%%}
    if [[ -o prompt_subst ]]; then
      text=${text//\\/\\\\}
      text=${text//\$/\\\$}
      text=${text//\`/\\\`}
    fi
    [ -z "$text" ] || __mfa_env_prefix="%{${__mfa_env_color}%}${text}%{${__mfa_env_reset}%}"
  fi
  PROMPT=$__mfa_env_prefix$rest
}
