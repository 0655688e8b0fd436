//! The `rill-server` command line: `--help` describes the security flags, and flag values
//! that would break the policy or the Host check are refused before anything is served.

use std::process::Command;

fn rill_server(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rill-server"))
        .args(args)
        .output()
        .expect("run rill-server")
}

#[test]
fn help_describes_the_security_flags() {
    let out = rill_server(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("utf-8");
    for flag in [
        "--test-routes",
        "--frame-ancestors",
        "--allowed-host",
        "--cors-origin",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    // The policy in the help text is the one served (wrapped over lines there).
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let policy = rill_server::csp::app_policy(&[]);
    assert!(flat.contains(&policy), "{policy} not in:\n{help}");
    assert!(flat.contains("421"), "{help}");
}

#[test]
fn help_lists_every_route_the_app_uses() {
    let out = rill_server(&["--help"]);
    let help = String::from_utf8(out.stdout).expect("utf-8");
    for route in [
        "/stream",
        "/v1/chat/completions",
        "/v1/messages",
        "/v1/responses",
        "/v1/models",
        "/api/chat",
        "/api/generate",
        "/api/tags",
        "/gpt/summary",
        "/demo/ticker",
    ] {
        assert!(help.contains(route), "{route} missing from:\n{help}");
    }
}

#[test]
fn values_that_would_break_the_policy_or_the_host_check_are_refused() {
    for args in [
        ["--frame-ancestors", "'self'; script-src *"],
        ["--frame-ancestors", "a,b"],
        ["--frame-ancestors", ""],
        ["--allowed-host", "evil.example/path"],
        ["--allowed-host", ""],
    ] {
        let out = rill_server(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        // Refused by the flag's own check, not as an unknown flag.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("invalid value") && stderr.contains(args[0]),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn help_shows_the_limits_with_their_defaults() {
    let out = rill_server(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("utf-8");
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for (flag, default) in [
        ("--header-timeout-secs", "[default: 10]"),
        ("--idle-timeout-secs", "[default: 300]"),
        ("--max-streams", "[default: 10000]"),
        ("--max-streams-per-client", "[default: 100]"),
        ("--retry-after", "[default: 5]"),
    ] {
        let at = flat
            .find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("{flag} missing from:\n{help}"));
        let rest = &flat[at..];
        let end = rest[2..].find(" --").map_or(rest.len(), |i| i + 2);
        assert!(rest[..end].contains(default), "{flag}: {}", &rest[..end]);
    }
    assert!(flat.contains("256 bytes"), "{help}");
}
