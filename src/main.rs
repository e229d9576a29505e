//! The `mianshen` binary: parses the command line and hands over to [`mianshen::cli`].

fn main() -> std::process::ExitCode {
    mianshen::cli::main()
}
