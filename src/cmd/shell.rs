pub fn run(_a: crate::cli::ShellArgs) -> anyhow::Result<i32> {
    todo!()
}
