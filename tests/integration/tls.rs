//! HTTPS, as every real STS endpoint speaks it: the fake STS behind TLS with a throwaway CA,
//! trusted through `SSL_CERT_FILE`, reached directly and through an `HTTPS_PROXY`.

use std::path::PathBuf;

use crate::support::fake_sts::{FakeSts, TestCa};
use crate::support::*;

/// A fixture whose STS speaks HTTPS, and the path of a PEM file holding the CA that signed it.
fn https_fixture() -> (Fixture, PathBuf) {
    let ca = TestCa::new();
    let f = Fixture::with_sts(FakeSts::start_tls(&ca));
    let pem = f.root.path().join("test-ca.pem");
    std::fs::write(&pem, &ca.ca_pem).expect("write CA");
    (f, pem)
}

fn trust(pem: &std::path::Path) -> (&'static str, &str) {
    ("SSL_CERT_FILE", pem.to_str().expect("utf-8 path"))
}

#[test]
fn https_endpoint_with_a_trusted_ca_gives_a_session_and_a_role() {
    let (f, pem) = https_fixture();
    assert!(f.sts.url().starts_with("https://127.0.0.1:"));
    let out = f.run_with(
        &["admin", "--shell", "bash", "--token-code", &f.code()],
        &[trust(&pem)],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let actions: Vec<_> = f.sts.requests().into_iter().map(|r| r.action).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    f.assert_no_secret(&out.stderr);

    // The cached session then serves exec without another call: the keys STS issued over TLS.
    let out = f.run_with(
        &["exec", "admin", "--", "sh", "-c", "echo $AWS_ACCESS_KEY_ID"],
        &[trust(&pem)],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let key = out.stdout.trim();
    assert!(
        f.sts.session_of(key).is_some(),
        "not issued by the STS: {key}"
    );
    assert_eq!(f.sts.requests().len(), 2);
}

#[test]
fn an_untrusted_certificate_is_refused_before_anything_is_sent() {
    let (f, _) = https_fixture();
    // Trust only some other CA: the STS's certificate chains to nothing trusted.
    let other = f.root.path().join("other-ca.pem");
    std::fs::write(&other, TestCa::new().ca_pem).expect("write CA");
    let out = f.run_with(&["dev", "--token-code", &f.code()], &[trust(&other)]);
    f.assert_failure(&out, 6, &format!("cannot reach {}", f.sts.url()));
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("invalid peer certificate: UnknownIssuer") && last.contains("SSL_CERT_FILE"),
        "the reason should name the certificate and the way out: {last}"
    );
    assert!(
        f.sts.requests().is_empty(),
        "nothing may reach an untrusted server"
    );
    f.assert_aws_untouched();
}

#[test]
fn https_proxy_from_the_environment_carries_the_call() {
    let (f, pem) = https_fixture();
    let proxy = ConnectProxy::start();
    let out = f.run_with(
        &["dev", "--shell", "bash", "--token-code", &f.code()],
        &[trust(&pem), ("HTTPS_PROXY", &proxy.url())],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(proxy.targets(), [format!("127.0.0.1:{}", f.sts.port)]);
    assert_eq!(f.sts.count("GetSessionToken"), 1);

    // NO_PROXY exempts the host: the call goes straight to it.
    let out = f.run_with(
        &[
            "dev",
            "--shell",
            "bash",
            "--no-cache",
            "--token-code",
            &f.sts.alice().next_code(),
        ],
        &[
            trust(&pem),
            ("HTTPS_PROXY", &proxy.url()),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(proxy.targets().len(), 1, "NO_PROXY was not honoured");
    assert_eq!(f.sts.count("GetSessionToken"), 2);
}
