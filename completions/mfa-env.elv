
set edit:completion:arg-completer[mfa-env] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) MFA_ENV_COMPLETE="elvish" mfa-env -- $@words) | to-lines
}

