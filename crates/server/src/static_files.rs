//! The static files: the demo page from `--www-dir` at `/`, and the built npm package
//! from `--pkg-dir` at `/pkg/`.
//!
//! This module decides which directory answers which path; content types come from the
//! file extension (so `.wasm` is `application/wasm`, which `WebAssembly.instantiateStreaming`
//! requires). It never serves anything outside those two directories.

use tower_http::services::ServeDir;

use crate::config::Config;

/// Serves the demo page; `/` and directories answer with their `index.html`.
pub fn www(config: &Config) -> ServeDir {
    ServeDir::new(&config.www_dir).append_index_html_on_directories(true)
}

/// Serves the package built by wasm-pack / wasm-bindgen.
pub fn pkg(config: &Config) -> ServeDir {
    ServeDir::new(&config.pkg_dir).append_index_html_on_directories(false)
}

/// Logs a warning for each static directory that does not exist yet.
pub fn warn_if_missing(config: &Config) {
    for (flag, dir) in config.missing_dirs() {
        tracing::warn!(
            "{flag} {} does not exist; run `npm run build` to create it (until then its files answer 404)",
            dir.display()
        );
    }
}
