//! Where the SDK finds the AWS config and credentials files (`AWS_CONFIG_FILE`,
//! `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/…`, with its `~` expansion).

use std::path::PathBuf;

use aws_types::os_shim_internal::Env;

/// The path of the config file, as the SDK finds it (`AWS_CONFIG_FILE`, else `~/.aws/config`).
pub fn config_file_path() -> PathBuf {
    sdk_file_path(0)
}

/// The same for the credentials file.
pub fn credentials_file_path() -> PathBuf {
    sdk_file_path(1)
}

pub(crate) fn sdk_file_path(which: usize) -> PathBuf {
    let env = Env::real();
    let (var, default) = SDK_FILES[which];
    sdk_path(&env, &env.get(var).unwrap_or_else(|_| default.to_string()))
}

/// The files SDKs read, by the variable that moves each and its default place.
pub(crate) const SDK_FILES: [(&str, &str); 2] = [
    ("AWS_CONFIG_FILE", "~/.aws/config"),
    ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
];

/// `path` with a leading `~` expanded to the home directory the SDK finds in `env`.
pub(crate) fn sdk_path(env: &Env, path: &str) -> PathBuf {
    let home = aws_runtime::fs_util::home_dir(env, aws_runtime::fs_util::Os::real());
    expand_home(path, home.as_deref())
}

/// The SDK's `~` expansion (aws-runtime's `expand_home`, which is private): a first component
/// `~` becomes the home directory (left as `~` without one), the rest is pushed onto it.
pub(crate) fn expand_home(path: &str, home: Option<&str>) -> PathBuf {
    let path = std::path::Path::new(path);
    let mut components = path.components();
    match components.next() {
        Some(std::path::Component::Normal(first)) if first == "~" => {
            let mut out = PathBuf::from(home.unwrap_or("~"));
            for c in components {
                out.push(c);
            }
            out
        }
        _ => path.to_path_buf(),
    }
}

pub fn config_file_display() -> String {
    std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".to_string())
}

pub fn credentials_file_display() -> String {
    std::env::var("AWS_SHARED_CREDENTIALS_FILE")
        .unwrap_or_else(|_| "~/.aws/credentials".to_string())
}
