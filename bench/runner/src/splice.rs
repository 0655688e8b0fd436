//! Writing one section of BENCHMARKS.md: shared by `rill-bench` and `rill-load` (which
//! includes this file by path, to stay free of the browser harness's dependencies).

/// Replaces the section titled `heading` (from that line to the next `## ` heading), or
/// appends it. Everything else in the file is kept as it is.
pub fn splice(existing: &str, heading: &str, section: &str) -> String {
    let lines: Vec<&str> = existing.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == heading) else {
        let mut out = if existing.trim().is_empty() {
            "# Benchmarks\n\nWritten by `./x bench`.\n".to_string()
        } else {
            existing.trim_end().to_string() + "\n"
        };
        out.push('\n');
        out.push_str(section);
        return out;
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out = lines[..start].join("\n");
    if start > 0 {
        out.push('\n');
    }
    out.push_str(section);
    if end < lines.len() {
        out.push('\n');
        out.push_str(&lines[end..].join("\n"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTION: &str = "## SSE decoder throughput";

    #[test]
    fn splice_replaces_only_its_section() {
        let before = "# Benchmarks\n\n## Other\n\nkeep\n\n## SSE decoder throughput\n\nold\n\n\
                      ## Later\n\nalso keep\n";
        let out = splice(before, SECTION, "## SSE decoder throughput\n\nnew\n");
        assert_eq!(
            out,
            "# Benchmarks\n\n## Other\n\nkeep\n\n## SSE decoder throughput\n\nnew\n\n\
             ## Later\n\nalso keep\n"
        );
        // Idempotent.
        assert_eq!(
            splice(&out, SECTION, "## SSE decoder throughput\n\nnew\n"),
            out
        );
    }

    #[test]
    fn splice_appends_when_missing() {
        let out = splice(
            "# Benchmarks\n\n## Other\n\nkeep\n",
            SECTION,
            "## SSE decoder throughput\n\nx\n",
        );
        assert_eq!(
            out,
            "# Benchmarks\n\n## Other\n\nkeep\n\n## SSE decoder throughput\n\nx\n"
        );
        assert!(splice("", SECTION, "## SSE decoder throughput\n").starts_with("# Benchmarks\n"));
    }

    #[test]
    fn splice_at_end_of_file() {
        let out = splice(
            "# B\n\n## SSE decoder throughput\n\nold\n",
            SECTION,
            "## SSE decoder throughput\n\nnew\n",
        );
        assert_eq!(out, "# B\n\n## SSE decoder throughput\n\nnew\n");
    }
}
