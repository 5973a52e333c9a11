//! The `<head>`'s links to the style sheet and, on the pages that are enhanced (`/todos`,
//! `/account`), to the JavaScript and the wasm bundle with the script that starts it (server
//! only). Leptos's own
//! `HashedStylesheet` and `HydrationScripts` read `hash.txt` from disk on every page they
//! render, twice a page with both (and panic if it is gone); the file names do not change while
//! the process runs, so here they are read once. And `HydrationScripts` would put the bundle on
//! every page: here a page that does not ask for it references no script at all.

use std::sync::OnceLock;

use leptos::{nonce::use_nonce, prelude::*};
use leptos_meta::Script;

/// Loads the JavaScript glue (a static import: the browser fetches it as soon as it reads the
/// script, with no preload link), which fetches and starts the wasm, then starts the
/// enhancement (`crate::enhance`). Then `data-hydrated` on `<body>` tells tests (and the
/// curious) that the page's forms are enhanced. Written short: it is on every enhanced page.
fn loader(pkg: &str, names: &Names) -> String {
    format!(
        "import init,{{enhance}}from\"/{pkg}/{js}.js\";\
         init({{module_or_path:\"/{pkg}/{wasm}.wasm\"}}).then(()=>{{enhance();\
         document.body.setAttribute(\"data-hydrated\",\"\")}})",
        js = names.js,
        wasm = names.wasm
    )
}

/// The bundle's file names without extension (`seamless.<hash>` with cargo-leptos's
/// `hash-files`, else as cargo-leptos names them).
struct Names {
    css: String,
    js: String,
    wasm: String,
}

fn names(options: &LeptosOptions) -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let output = options.output_name.to_string();
        let mut names = Names {
            css: output.clone(),
            js: output.clone(),
            // cargo-leptos sets LEPTOS_OUTPUT_NAME when it builds, and then names the wasm
            // like the JavaScript; a plain `cargo build` leaves wasm-bindgen's `_bg`.
            wasm: if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
                output.clone()
            } else {
                format!("{output}_bg")
            },
        };
        if options.hash_files {
            let path = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
            match path.map(std::fs::read_to_string) {
                Some(Ok(hashes)) => {
                    for (file, hash) in hashes.lines().filter_map(|l| l.trim().split_once(':')) {
                        let name = match file.trim() {
                            "css" => &mut names.css,
                            "js" => &mut names.js,
                            "wasm" => &mut names.wasm,
                            _ => continue,
                        };
                        *name = format!("{output}.{}", hash.trim());
                    }
                }
                _ => tracing::error!(
                    "LEPTOS_HASH_FILES is on but hash.txt cannot be read beside the binary: \
                     the pages link the bundle by its unhashed names"
                ),
            }
        }
        names
    })
}

/// The style sheet, for the document's head. Rendering on the server starts "not hydrating"
/// (nothing hydrates: no hydration data is written).
#[component]
pub fn BundleLinks(options: LeptosOptions) -> impl IntoView {
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let names = names(&options);
    let pkg = options.site_pkg_dir.to_string();
    view! { <link rel="stylesheet" href=format!("/{pkg}/{}.css", names.css) /> }
}

/// The bundle's loader, put into the head (through `<MetaTags/>`) by a page that is enhanced.
/// It carries this request's nonce (the CSP allows scripts by nonce).
pub fn enhance_scripts() -> Option<impl IntoView> {
    static LOADER: OnceLock<String> = OnceLock::new();
    let state = crate::server::context::state().ok()?;
    let options = &state.leptos_options;
    let loader = LOADER.get_or_init(|| loader(&options.site_pkg_dir, names(options)));
    let nonce = use_nonce().map(|n| n.to_string());
    Some(
        view! { <Script type_="module" nonce=nonce.unwrap_or_default()>{loader.as_str()}</Script> },
    )
}
