pub mod idl;

/// `hdx cost [--json]`: exits non-zero when a budget is broken.
pub fn cost(json: bool) -> anyhow::Result<()> {
    let report = hdx::cost::run()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    let failures = report.budget_failures();
    anyhow::ensure!(failures.is_empty(), "over budget: {}", failures.join("; "));
    Ok(())
}
