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
    let requests = f.sts.requests();
    let actions: Vec<_> = requests.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    // One connection for the pair: TCP and TLS handshakes once, not twice.
    assert_eq!(requests[0].connection, requests[1].connection);
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

#[test]
fn aws_ca_bundle_and_the_profiles_ca_bundle_are_trusted_in_place_of_the_system_roots() {
    let (mut f, pem) = https_fixture();
    let pem = pem.to_str().expect("utf-8 path").to_string();
    let other = f.root.path().join("other-ca.pem");
    std::fs::write(&other, TestCa::new().ca_pem).expect("write CA");
    let other = other.to_str().expect("utf-8 path").to_string();
    // Each code works once: the two calls that reach STS use this window's and the next one's.
    let dev = |f: &Fixture, code: &str, env: &[(&str, &str)]| {
        f.run_with(
            &["dev", "--shell", "bash", "--no-cache", "--token-code", code],
            env,
        )
    };
    let (first, second) = (f.code(), f.sts.alice().next_code());

    // AWS_CA_BUNDLE, as the AWS CLI reads it.
    let out = dev(&f, &first, &[("AWS_CA_BUNDLE", &pem)]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("trusting only the 1 CA(s) in {pem}")),
        "{}",
        out.stderr
    );

    // It replaces the system's roots: a bundle without the server's CA fails even though
    // SSL_CERT_FILE would have trusted it.
    let out = dev(
        &f,
        &second,
        &[("AWS_CA_BUNDLE", &other), ("SSL_CERT_FILE", &pem)],
    );
    f.assert_failure(&out, 6, "invalid peer certificate: UnknownIssuer");

    // The profile's ca_bundle, with ~ for the home directory; AWS_CA_BUNDLE wins over it.
    std::fs::copy(&pem, f.home.join("corp-ca.pem")).expect("copy CA");
    let config = std::fs::read_to_string(f.aws_dir().join("config")).expect("config");
    f.write_config(&config.replace(
        "[profile dev]\n",
        "[profile dev]\nca_bundle = ~/corp-ca.pem\n",
    ));
    let out = dev(&f, &second, &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = dev(&f, &first, &[("AWS_CA_BUNDLE", &other)]);
    f.assert_failure(&out, 6, "UnknownIssuer");
    f.assert_aws_untouched();
}

#[test]
fn an_unusable_ca_bundle_is_a_configuration_error_before_any_call() {
    let (f, _) = https_fixture();
    let dir = f.root.path();
    let missing = dir.join("missing.pem");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").expect("write");
    let broken = dir.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let junk = dir.join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    for (path, says) in [
        (&missing, "cannot read it"),
        (&empty, "holds no PEM certificate"),
        (&broken, "not a PEM file of certificates"),
        (&junk, "certificate 1 is unusable"),
    ] {
        let path = path.to_str().expect("utf-8 path");
        let out = f.run_with(
            &["dev", "--token-code", &f.code()],
            &[("AWS_CA_BUNDLE", path)],
        );
        f.assert_failure(&out, 3, &format!("CA bundle {path}: {says}"));
    }
    assert!(f.sts.requests().is_empty());
    f.assert_aws_untouched();
}

#[test]
fn an_empty_aws_ca_bundle_leaves_the_profiles_ca_bundle_in_force() {
    let (mut f, pem) = https_fixture();
    let config = std::fs::read_to_string(f.aws_dir().join("config")).expect("config");
    f.write_config(&config.replace(
        "[profile dev]\n",
        &format!("[profile dev]\nca_bundle = {}\n", pem.display()),
    ));
    // Without the profile's bundle the system roots would apply, and they do not hold the test CA.
    let out = f.run_with(
        &["dev", "--shell", "bash", "--token-code", &f.code()],
        &[("AWS_CA_BUNDLE", "")],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}
