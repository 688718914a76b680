//! A local STS to try mfa-env without an AWS account: `cargo run --example local-sts`.
//!
//! It serves the STS Query protocol on 127.0.0.1, checks real TOTP codes, writes a demo AWS
//! config into a temporary directory (never ~/.aws), and prints the commands to use it and the
//! current MFA code (also as an otpauth:// URI to add to an authenticator app).

#[path = "../tests/support/fake_sts.rs"]
mod fake_sts;

use std::io::Write;

fn main() {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let sts = fake_sts::FakeSts::start_on(port);
    let alice = sts.alice();
    let dir = std::env::temp_dir().join(format!("mfa-env-demo-{}", sts.port));
    std::fs::create_dir_all(&dir).expect("create the demo directory");
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[demo]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            alice.access_key_id, alice.secret_access_key
        ),
    )
    .expect("write demo credentials");
    std::fs::write(
        &config,
        format!(
            "[profile demo]\nmfa_serial = {}\nregion = eu-west-1\n\n\
             [profile demo-admin]\nrole_arn = arn:aws:iam::{}:role/Admin\nsource_profile = demo\n",
            alice.mfa_serial,
            fake_sts::ACCOUNT
        ),
    )
    .expect("write demo config");

    println!("local STS listening on {}", sts.url());
    println!();
    println!("In another terminal (bash/zsh):");
    println!("  export AWS_ENDPOINT_URL_STS={}", sts.url());
    println!("  export AWS_CONFIG_FILE={}", config.display());
    println!(
        "  export AWS_SHARED_CREDENTIALS_FILE={}",
        credentials.display()
    );
    println!("  eval \"$(mfa-env demo)\"                 # asks for the code below");
    println!("  mfa-env status");
    println!("  mfa-env exec demo-admin -- env | grep AWS_   # a role, no second code");
    println!("  mfa-env shell demo                       # countdown in the prompt");
    println!("(fish: set -gx VAR value, and mfa-env demo | source)");
    println!();
    println!("authenticator URI: {}", alice.otpauth_uri("mfa-env-local"));
    println!();
    let mut last = String::new();
    loop {
        let code = alice.code_now();
        if code != last {
            let left = 30 - fake_sts::now() % 30;
            print!(
                "\rcurrent MFA code: {code}  (next in {left:2}s)  requests so far: {}   ",
                sts.requests().len()
            );
            let _ = std::io::stdout().flush();
            last = code;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}
