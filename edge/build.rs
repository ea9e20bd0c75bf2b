//! Gzips the browser assets (edge/assets/*.js|css and the vendored builds in
//! edge/assets/vendor) into OUT_DIR once per change, so the binary carries
//! them compressed and serves them without compressing per request.

use std::{fs, io::Write as _, path::Path};

use flate2::{Compression, write::GzEncoder};

fn main() -> std::io::Result<()> {
    let out = Path::new(&std::env::var("OUT_DIR").map_err(std::io::Error::other)?).join("assets");
    fs::create_dir_all(&out)?;
    for dir in ["assets", "assets/vendor"] {
        println!("cargo::rerun-if-changed={dir}");
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if !matches!(path.extension().and_then(|e| e.to_str()), Some("js" | "css")) {
                continue;
            }
            let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
            gzip.write_all(&fs::read(&path)?)?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            fs::write(out.join(format!("{name}.gz")), gzip.finish()?)?;
        }
    }
    Ok(())
}
