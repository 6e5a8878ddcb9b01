//! The `steadyrtc-server` binary as scripts see it: one listening line on stdout, a clean
//! exit on SIGTERM, and a one-line error when the port is taken.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const STEP: Duration = Duration::from_secs(10);

fn server_command(port: u16) -> Command {
    let dir = std::env::temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_steadyrtc-server"));
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string(), "--dev"])
        .arg("--www-dir")
        .arg(&dir)
        .arg("--pkg-dir")
        .arg(&dir)
        .env_remove("STEADYRTC_HOST")
        .env_remove("STEADYRTC_PORT")
        .env_remove("STEADYRTC_TOKEN_SECRET")
        .env_remove("STEADYRTC_DEV")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn wait_with_timeout(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("server did not exit within {STEP:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn prints_one_listening_line_with_the_real_port_and_exits_cleanly_on_sigterm() {
    let mut child = server_command(0).spawn().expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first);
        let rest: Vec<_> = lines.map_while(Result::ok).collect();
        let _ = tx.send(Some(Ok(rest.join("\n"))));
    });
    let line = match rx.recv_timeout(STEP) {
        Ok(Some(Ok(line))) => line,
        other => {
            let _ = child.kill();
            panic!("no listening line: {other:?}");
        }
    };
    let port: u16 = line
        .strip_prefix("steadyrtc-server listening on http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert_ne!(port, 0);
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("server accepts connections");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = wait_with_timeout(&mut child);
    assert!(status.success(), "exit status {status:?}");
    let rest = rx.recv_timeout(STEP).expect("rest of stdout");
    assert_eq!(
        rest.map(|r| r.unwrap_or_default()),
        Some(String::new()),
        "nothing else on stdout"
    );
}

#[test]
fn taken_port_exits_non_zero_with_a_one_line_error_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let mut child = server_command(port).spawn().expect("spawn server");
    let status = wait_with_timeout(&mut child);
    assert!(!status.success());
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert_eq!(stdout, "", "no listening line");
    let error_line = stderr.lines().last().unwrap_or_default();
    assert!(
        error_line.starts_with(&format!(
            "steadyrtc-server: cannot listen on 127.0.0.1:{port}: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn production_mode_without_a_token_secret_refuses_to_start_naming_the_variable() {
    let mut cmd = server_command(0);
    let args: Vec<_> = cmd
        .get_args()
        .map(|a| a.to_owned())
        .filter(|a| a != "--dev")
        .collect();
    let mut cmd2 = Command::new(cmd.get_program());
    cmd2.args(args)
        .env_remove("STEADYRTC_TOKEN_SECRET")
        .env_remove("STEADYRTC_DEV")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let _ = &mut cmd;
    let mut child = cmd2.spawn().expect("spawn server");
    let status = wait_with_timeout(&mut child);
    assert!(!status.success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert!(stderr.contains("STEADYRTC_TOKEN_SECRET"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
