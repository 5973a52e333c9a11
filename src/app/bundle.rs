//! The `<head>` links to the style sheet, the JavaScript and the wasm bundle, with the
//! hydration script (server only). Leptos's own `HashedStylesheet` and `HydrationScripts` read
//! `hash.txt` from disk on every page they render, twice a page with both (and panic if it is
//! gone); the file names do not change while the process runs, so here they are read once.

use std::sync::OnceLock;

use leptos::{nonce::use_nonce, prelude::*};

/// What Leptos's `HydrationScripts` runs (leptos 0.8, `hydration_script.js`, MIT): load the
/// JavaScript glue, which fetches and starts the wasm, then hydrate.
const HYDRATION_SCRIPT: &str = r#"(function (root, pkg_path, output_name, wasm_output_name) {
	import(`${root}/${pkg_path}/${output_name}.js`)
		.then(mod => {
			mod.default({module_or_path: `${root}/${pkg_path}/${wasm_output_name}.wasm`}).then(() => {
				mod.hydrate();
			});
		});
})"#;

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

/// The style sheet, the bundle's preloads and the hydration script, for the document's head.
/// The links carry this request's nonce as Leptos's do (the CSP allows scripts by nonce).
#[component]
pub fn BundleLinks(options: LeptosOptions) -> impl IntoView {
    let names = names(&options);
    let pkg = options.site_pkg_dir.to_string();
    let nonce = use_nonce();
    view! {
        <link id="leptos" rel="stylesheet" href=format!("/{pkg}/{}.css", names.css) />
        <link rel="modulepreload" href=format!("/{pkg}/{}.js", names.js) crossorigin=nonce.clone() />
        <link
            rel="preload"
            href=format!("/{pkg}/{}.wasm", names.wasm)
            r#as="fetch"
            r#type="application/wasm"
            crossorigin=nonce.clone()
        />
        <script type="module" nonce=nonce>
            {format!("{HYDRATION_SCRIPT}(\"\", {pkg:?}, {:?}, {:?});", names.js, names.wasm)}
        </script>
    }
}
