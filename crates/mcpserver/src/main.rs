use clap::Parser;

fn main() -> std::process::ExitCode {
    mcpserver::cli::run(mcpserver::cli::Cli::parse())
}
