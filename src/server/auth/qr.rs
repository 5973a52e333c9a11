//! QR codes drawn as SVG on the server (no image library, no script): the authenticator-app
//! link on the account page works without JavaScript.

use qrcodegen::{QrCode, QrCodeEcc};

/// `text` as a QR code: an `<svg>` element of dark squares on a light ground, with a quiet
/// zone of four modules, scaled by its container. `label` is its accessible name.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let label = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" aria-label="{label}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_an_svg_with_its_name() {
        let svg = svg(
            "otpauth://totp/Seamless:a?secret=ABC",
            "QR code <of> the link",
        )
        .unwrap();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="QR code &lt;of> the link""#));
        assert!(svg.matches('M').count() > 100, "modules are drawn");
    }
}
