//! The outside tools these tests drive, found or named as missing.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `name` on the PATH; a missing tool fails the test saying how to get it.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: `make test-deploy` installs what these tests need"))
}

/// Runs `command` and returns its output, failing with its stderr unless it succeeds.
pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The `shop` binary under test.
pub fn shop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_shop"))
}
