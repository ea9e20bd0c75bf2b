//! How a binary ends: a failure is printed as one line of causes (not a
//! backtrace) and the process exits non-zero.

use std::process::ExitCode;

/// Prints `error: cause: cause ...` for a failed run and picks the exit code.
pub fn report<E: std::fmt::Display>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
