//! `rill-precompress DIR`: writes `FILE.gz` and `FILE.br` next to every `.wasm`, `.js`,
//! `.css`, `.html`, `.svg` and `.json` file under `DIR` (a built app), for a static server
//! that sends a precompressed file when the browser accepts its encoding (rill-server's
//! `--dist` does; so do nginx's `gzip_static`/`brotli_static` and most CDNs).
//!
//! `.gz` is written by zopfli: ordinary gzip that every browser reads, about 5 % smaller
//! than `gzip -9`, slow to write and free to read. `.br` is brotli at quality 11. A
//! compressed copy that is not smaller than its file is not written. Files are compressed
//! in full, never in part: the output is byte-for-byte the original once decompressed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXTENSIONS: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: rill-precompress DIR");
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    if let Err(e) = collect(Path::new(&dir), &mut files) {
        eprintln!("rill-precompress: {}: {e}", Path::new(&dir).display());
        return ExitCode::FAILURE;
    }
    files.sort();
    for file in &files {
        if let Err(e) = precompress(file) {
            eprintln!("rill-precompress: {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "rill-precompress: {} files in {}",
        files.len(),
        Path::new(&dir).display()
    );
    ExitCode::SUCCESS
}

/// Every file under `dir` with one of [`EXTENSIONS`].
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn precompress(file: &Path) -> std::io::Result<()> {
    let data = std::fs::read(file)?;
    write_if_smaller(file, "gz", &data, gzip(&data)?)?;
    write_if_smaller(file, "br", &data, brotli(&data)?)
}

/// `data` as gzip, by zopfli.
fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        data,
        &mut out,
    )?;
    Ok(out)
}

/// `data` as brotli, quality 11, window 2^22.
fn brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(data)?;
        writer.flush()?;
    }
    Ok(out)
}

/// Writes `FILE.ext` when `packed` is smaller than `data`; removes a stale one otherwise.
fn write_if_smaller(file: &Path, ext: &str, data: &[u8], packed: Vec<u8>) -> std::io::Result<()> {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    let target = PathBuf::from(name);
    if packed.len() < data.len() {
        std::fs::write(target, packed)
    } else {
        match std::fs::remove_file(target) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn text() -> Vec<u8> {
        (0..2000)
            .flat_map(|i| format!("line {i}: rill streams\n").into_bytes())
            .collect()
    }

    #[test]
    fn gzip_and_brotli_decompress_to_the_original() {
        let data = text();
        let gz = gzip(&data).expect("gzip");
        assert!(gz.starts_with(&[0x1f, 0x8b]), "a gzip member");
        let mut back = Vec::new();
        gunzip(&gz, &mut back);
        assert_eq!(back, data);
        let br = brotli(&data).expect("brotli");
        let mut back = Vec::new();
        brotli::Decompressor::new(br.as_slice(), 4096)
            .read_to_end(&mut back)
            .expect("brotli reads back");
        assert_eq!(back, data);
        assert!(gz.len() < data.len() / 4 && br.len() < gz.len());
    }

    /// Decompresses with the system's `gzip -d` (present wherever the build runs).
    fn gunzip(gz: &[u8], out: &mut Vec<u8>) {
        let mut child = std::process::Command::new("gzip")
            .arg("-dc")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("gzip runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(gz)
            .expect("write");
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_end(out)
            .expect("read");
        assert!(child.wait().expect("gzip exits").success());
    }

    #[test]
    fn writes_next_to_text_files_and_skips_others_and_tiny_ones() {
        let dir = std::env::temp_dir().join(format!("rill-precompress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets")).expect("dir");
        std::fs::write(dir.join("app.js"), text()).expect("write");
        std::fs::write(dir.join("snippets/a.css"), text()).expect("write");
        std::fs::write(dir.join("tiny.html"), "<p>").expect("write");
        std::fs::write(dir.join("image.png"), text()).expect("write");
        let mut files = Vec::new();
        collect(&dir, &mut files).expect("collect");
        for f in &files {
            precompress(f).expect("precompress");
        }
        for present in [
            "app.js.gz",
            "app.js.br",
            "snippets/a.css.gz",
            "snippets/a.css.br",
        ] {
            assert!(dir.join(present).is_file(), "{present}");
        }
        for absent in ["tiny.html.gz", "tiny.html.br", "image.png.gz"] {
            assert!(!dir.join(absent).exists(), "{absent}");
        }
        // Run again: compressed files are not compressed again.
        let mut again = Vec::new();
        collect(&dir, &mut again).expect("collect");
        assert_eq!(again.len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
