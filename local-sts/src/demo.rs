//! What the demo (`cargo run -p local-sts`) prints: the commands that point mfa-env at it. Every
//! file mfa-env writes for them stays in the demo's directory, its session cache too
//! (`MFA_ENV_CACHE_DIR`), so none is left once the demo stops and removes the directory.

use std::path::Path;

/// The session cache of the demo, inside its directory.
pub fn cache_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("cache")
}

/// Where the demo's AWS Sign-In sessions go (`AWS_LOGIN_CACHE_DIRECTORY`), inside its
/// directory.
pub fn login_cache_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("login-cache")
}

/// The commands to type in another terminal, for bash or zsh and for fish; `dir` holds the
/// demo's config and credentials files.
pub fn instructions(url: &str, dir: &Path) -> String {
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    let cache = cache_dir(dir);
    let login = login_cache_dir(dir);
    let (config, credentials, cache, login) = (
        config.display(),
        credentials.display(),
        cache.display(),
        login.display(),
    );
    let mut text = String::new();
    let mut line = |l: &str| {
        text.push_str(l);
        text.push('\n');
    };
    line("In another terminal, bash or zsh:");
    line(&format!(
        "  export AWS_ENDPOINT_URL_STS={url} AWS_ENDPOINT_URL_IAM={url} AWS_ENDPOINT_URL_SIGNIN={url}"
    ));
    line(&format!("  export AWS_CONFIG_FILE={config}"));
    line(&format!(
        "  export AWS_SHARED_CREDENTIALS_FILE={credentials}"
    ));
    line(&format!(
        "  export MFA_ENV_CACHE_DIR={cache} AWS_LOGIN_CACHE_DIRECTORY={login}   # the demo's sessions go with it"
    ));
    line("  eval \"$(mfa-env demo)\"                       # asks for the code below");
    line("  mfa-env status");
    line("  mfa-env exec demo-admin -- env | grep AWS_   # a role: no second code");
    line("  mfa-env shell demo                           # countdown in the prompt");
    line("  mfa-env exec demo-admin --server -- env | grep AWS_CONTAINER   # an endpoint, no keys");
    line("  mfa-env console demo-admin --service s3  # the console, signed in (local page)");
    line("  mfa-env doctor demo");
    line("  mfa-env login demo-web      # AWS Sign-In: the browser page's button stands for your passkey");
    line("  mfa-env exec demo-web-admin -- env | grep AWS_   # a role on the sign-in: no code");
    line("  mfa-env device remove demo --yes && mfa-env setup demo   # enroll a new device (QR code)");
    line("fish:");
    line(&format!("  set -gx AWS_ENDPOINT_URL_STS {url}"));
    line(&format!("  set -gx AWS_ENDPOINT_URL_IAM {url}"));
    line(&format!("  set -gx AWS_ENDPOINT_URL_SIGNIN {url}"));
    line(&format!("  set -gx AWS_CONFIG_FILE {config}"));
    line(&format!(
        "  set -gx AWS_SHARED_CREDENTIALS_FILE {credentials}"
    ));
    line(&format!("  set -gx MFA_ENV_CACHE_DIR {cache}"));
    line(&format!("  set -gx AWS_LOGIN_CACHE_DIRECTORY {login}"));
    line("  mfa-env demo | source");
    text
}
