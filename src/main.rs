fn main() {
    std::process::exit(mfa_env::run());
}
