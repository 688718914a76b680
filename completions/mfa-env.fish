complete --keep-order --exclusive --command mfa-env --arguments "(COMPLETE=fish mfa-env -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
