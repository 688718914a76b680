pub fn run(_a: &crate::cli::InitArgs) -> anyhow::Result<i32> {
    todo!()
}
