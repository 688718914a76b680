# Homebrew formula for mfa-env, built from source. scripts/release writes dist/mfa-env.rb from
# this file with the source archive's URL and checksum in place of the @…@ markers.
class MfaEnv < Formula
  desc "One MFA code, short-lived AWS credentials in your shell's environment"
  homepage "@HOMEPAGE@"
  url "@URL@"
  version "@VERSION@"
  sha256 "@SHA256@"
  license any_of: ["MIT", "Apache-2.0"]

  depends_on "rust" => :build

  def install
    system "cargo", "install", *std_cargo_args
    bash_completion.install "completions/mfa-env.bash" => "mfa-env"
    zsh_completion.install "completions/_mfa-env"
    fish_completion.install "completions/mfa-env.fish"
    man1.install Dir["completions/man/*.1"]
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/mfa-env --version")
    # A profile without keys: a configuration error (exit 3) before any network call.
    (testpath/".aws/config").write "[profile t]\nmfa_serial = arn:aws:iam::123456789012:mfa/t\n"
    output = shell_output("#{bin}/mfa-env t --token-code 123456 --shell bash 2>&1", 3)
    assert_match "profile 't'", output
    assert_match "complete -o nospace", shell_output("#{bin}/mfa-env completions bash")
  end
end
