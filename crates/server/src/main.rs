//! The `steadyrtc-server` binary: parse options, start logging, bind, print the listening
//! line on stdout, serve until Ctrl-C or SIGTERM. All logic lives in the library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use steadyrtc_server::{listening_line, logging, shutdown_signal, Config, Server};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    logging::init(config.log_format);

    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("steadyrtc-server: {e}");
            return ExitCode::FAILURE;
        }
    };

    // Install the signal handlers before announcing the address, so that a SIGTERM sent
    // as soon as the line is read still shuts down gracefully.
    let shutdown = shutdown_signal();
    let mut stdout = std::io::stdout().lock();
    if let Err(e) =
        writeln!(stdout, "{}", listening_line(server.local_addr())).and_then(|()| stdout.flush())
    {
        tracing::warn!(error = %e, "cannot write the listening line to stdout");
    }
    drop(stdout);

    match server.run_until(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("steadyrtc-server: {e}");
            ExitCode::FAILURE
        }
    }
}
