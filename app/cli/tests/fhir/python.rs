//! The Python the FHIR checks run: a virtualenv under target/ with the
//! pinned packages of `tests/fhir/requirements.txt` (the validator, and the
//! front door's independent SMART client), shared by the test binaries that
//! include this file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python interpreter with `fhir.resources` installed: `HDX_FHIR_PYTHON`,
/// or a virtualenv this test creates under target/ from the pinned requirements.
pub fn fhir_python() -> PathBuf {
    if let Some(p) = std::env::var_os("HDX_FHIR_PYTHON") {
        return p.into();
    }
    let req = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/requirements.txt");
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fhir-venv");
    let python = venv.join("bin").join("python");
    let stamp = venv.join("requirements.txt");
    if !python.exists() || std::fs::read(&stamp).ok() != std::fs::read(&req).ok() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "python3 -m venv failed: the FHIR check needs Python 3 with venv"
        );
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&req)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "pip install -r {} failed (PyPI must be reachable)",
            req.display()
        );
        std::fs::copy(&req, &stamp).unwrap();
    }
    python
}
