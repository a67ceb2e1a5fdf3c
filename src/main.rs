//! The `mediagate` binary: parse the command line, dispatch; everything else is in the library.

// A gallery response allocates thousands of small strings; mimalloc keeps that off the profile
// (glibc malloc and its consolidation were a fifth of the CPU time under load).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mediagate::cli::run(std::env::args_os())
}
