//! `descent`: the command-line face of the `descent` library; the commands are in the
//! `descent_cli` library next to this file.

fn main() -> std::process::ExitCode {
    descent_cli::main()
}
