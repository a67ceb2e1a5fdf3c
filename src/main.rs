//! The `mediagate` binary: parse the command line, dispatch; everything else is in the library.

fn main() -> std::process::ExitCode {
    mediagate::cli::run(std::env::args_os())
}
