//! The browser side: progressive enhancement of the server-rendered pages, without Leptos on
//! the client. Every form and link keeps working without JavaScript; with it, a form post goes
//! to its server function with `fetch` and the page's `<main>` is replaced by the server's own
//! rendering of the page afterwards (so the server stays the only place a page is made):
//!
//! - success: the page again (the address it shows, and what "Show more" added to it);
//! - a server function's redirect (`serverfnredirect` + `Location`): that page is loaded;
//! - `401` for a session that ended: sign-in, with "Your session has expired";
//! - another error: the page with the error in its address, the way Leptos hands a form post
//!   without JavaScript its error (`?__path=…&__err=…`), with what was typed kept;
//! - a `GET` form (a task's "Edit") and links marked `data-swap` ("Show more", "Cancel"): that
//!   address, in place.

use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    Document, DomParser, Element, FormData, HtmlElement, HtmlFormElement, HtmlInputElement,
    MouseEvent, Request, RequestInit, Response, SubmitEvent, SupportedType, UrlSearchParams,
    Window,
};

fn window() -> Window {
    web_sys::window().expect_throw("a window")
}

fn document() -> Document {
    window().document().expect_throw("a document")
}

/// The address whose rendering `<main>` shows: the page's own at first, then the last one
/// swapped in (without `edit`: after a rename the list shows no form).
static CURRENT: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn current() -> String {
    let here = CURRENT.lock().map(|c| c.clone()).unwrap_or_default();
    if here.is_empty() {
        let location = window().location();
        format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        )
    } else {
        here
    }
}

fn set_current(url: &str) {
    let kept: Vec<String> = match url.split_once('?') {
        Some((_, query)) => query
            .split('&')
            .filter(|pair| !pair.starts_with("edit=") && !pair.starts_with("__"))
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    let path = url.split('?').next().unwrap_or(url);
    let url = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    if let Ok(mut c) = CURRENT.lock() {
        *c = url;
    }
}

/// The answer to a request: status, `Location` when the server function redirects, the
/// address an HTTP redirect led to, body.
struct Answer {
    status: u16,
    redirect: Option<String>,
    redirected_to: Option<String>,
    body: Vec<u8>,
}

async fn fetch(
    url: &str,
    method: &str,
    body: Option<&JsValue>,
    accept: &str,
) -> Result<Answer, JsValue> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(body);
    }
    let request = Request::new_with_str_and_init(url, &init)?;
    request.headers().set("Accept", accept)?;
    let response: Response = JsFuture::from(window().fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let headers = response.headers();
    let redirect = match headers.has("serverfnredirect")? {
        true => headers.get("location")?,
        false => None,
    };
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(Answer {
        status: response.status(),
        redirect,
        redirected_to: response.redirected().then(|| response.url()),
        body: js_sys::Uint8Array::new(&buffer).to_vec(),
    })
}

/// Leptos's `?__err=` encoding: URL-safe base64 with padding.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A selector that finds `element`'s counterpart in the new rendering, to keep the focus: a
/// button with a value by its role, name and value (a task's buttons: their ids, where they
/// have one, are places in the list, which change when a task above goes), anything else by
/// its id.
fn counterpart(element: &Element) -> Option<String> {
    let value = match element.get_attribute("value") {
        Some(value) if element.tag_name().eq_ignore_ascii_case("button") => value,
        _ if !element.id().is_empty() => return Some(format!("#{}", element.id())),
        _ => return None,
    };
    let role = element
        .get_attribute("role")
        .map(|r| format!("[role=\"{r}\"]"))
        .unwrap_or_default();
    let name = element
        .get_attribute("name")
        .map(|n| format!("[name=\"{n}\"]"))
        .unwrap_or_default();
    Some(format!("{role}{name}[value=\"{value}\"]"))
}

/// Replaces `<main>` with the server's rendering of `url`. With `keep`, the text the person
/// typed into the old fields is put into the new ones (by id): a refused post loses nothing.
async fn swap(url: &str, keep: bool) -> Result<(), JsValue> {
    let answer = fetch(url, "GET", None, "text/html").await?;
    if let Some(to) = answer.redirected_to {
        // The page sent the browser elsewhere (sign-in, when the session has ended): go there.
        return window().location().assign(&to);
    }
    if answer.status != 200 {
        // The page itself says what went wrong (a 404 page, the outage page): show it.
        return window().location().assign(url);
    }
    let html = String::from_utf8_lossy(&answer.body);
    let parsed = DomParser::new()?.parse_from_string(&html, SupportedType::TextHtml)?;
    let (Some(new), Some(old)) = (
        parsed.query_selector("main")?,
        document().query_selector("main")?,
    ) else {
        return window().location().assign(url);
    };
    if keep {
        let fields = old.query_selector_all("input[id]:not([type=hidden])")?;
        for i in 0..fields.length() {
            let Some(field) = fields
                .get(i)
                .and_then(|f| f.dyn_into::<HtmlInputElement>().ok())
            else {
                continue;
            };
            if let Some(twin) = new.query_selector(&format!("#{}", field.id()))? {
                if let Ok(twin) = twin.dyn_into::<HtmlInputElement>() {
                    twin.set_value(&field.value());
                }
            }
        }
    }
    // A live region ("3 left") is announced when what it says changes, not when a new one
    // arrives: the old one stays, moved into the new rendering, and takes its text.
    let regions = new.query_selector_all("[aria-live][id]")?;
    for i in 0..regions.length() {
        let Some(fresh) = regions.get(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        if let Some(kept) = old.query_selector(&format!("#{}", fresh.id()))? {
            let text = fresh.text_content();
            fresh.replace_with_with_node_1(&kept)?;
            if kept.text_content() != text {
                kept.set_text_content(text.as_deref());
            }
        }
    }
    let focused = document().active_element().and_then(|e| counterpart(&e));
    old.replace_with_with_node_1(&new)?;
    if let Some(title) = parsed
        .query_selector("title")?
        .and_then(|t| t.text_content())
    {
        document().set_title(&title);
    }
    let target = match new.query_selector("[autofocus]")? {
        Some(field) => Some(field),
        None => match focused {
            Some(selector) => new.query_selector(&selector).ok().flatten(),
            None => None,
        },
    };
    if let Some(target) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
        let _ = target.focus();
    }
    set_current(url);
    Ok(())
}

fn local(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest[rest.find('/').unwrap_or(rest.len())..].to_owned(),
        None => url.to_owned(),
    }
}

/// A passkey form (`data-passkey="create"` or `"get"`, its options from the server function at
/// `data-options`): asks the server for the ceremony's options, lets the browser's passkey
/// dialog answer them, and puts the answer (and the ceremony's token) into the form's
/// `credential` and `token` fields, which the form then posts like any other. `Ok(false)`
/// when the person closed the dialog, or the server refused to start (its error is shown).
async fn passkey(form: &HtmlFormElement, kind: &str) -> Result<bool, JsValue> {
    let Some(options_path) = form.get_attribute("data-options") else {
        return Ok(false);
    };
    let answer = fetch(&options_path, "POST", None, "application/json").await?;
    if answer.status != 200 {
        let here = current();
        let joint = if here.contains('?') { '&' } else { '?' };
        let path = js_sys::encode_uri_component(&local(&form.action()));
        swap(
            &format!(
                "{here}{joint}__path={path}&__err={}",
                base64_url(&answer.body)
            ),
            true,
        )
        .await?;
        return Ok(false);
    }
    // The server function's answer is a JSON string that holds the JSON of the ceremony.
    let text = js_sys::JSON::parse(&String::from_utf8_lossy(&answer.body))?;
    let ceremony = js_sys::JSON::parse(&text.as_string().unwrap_or_default())?;
    let token = js_sys::Reflect::get(&ceremony, &"token".into())?;
    let options = js_sys::Reflect::get(&ceremony, &"options".into())?;
    let public_key = js_sys::Reflect::get(&options, &"publicKey".into())?;
    let class = js_sys::Reflect::get(&window(), &"PublicKeyCredential".into())?;
    let (parse, call) = match kind {
        "create" => ("parseCreationOptionsFromJSON", "create"),
        _ => ("parseRequestOptionsFromJSON", "get"),
    };
    let parse: js_sys::Function = js_sys::Reflect::get(&class, &parse.into())?.dyn_into()?;
    let request = js_sys::Object::new();
    js_sys::Reflect::set(
        &request,
        &"publicKey".into(),
        &parse.call1(&class, &public_key)?,
    )?;
    let credentials = window().navigator().credentials();
    let call: js_sys::Function = js_sys::Reflect::get(&credentials, &call.into())?.dyn_into()?;
    let promise: js_sys::Promise = call.call1(&credentials, &request)?.dyn_into()?;
    let credential = match JsFuture::from(promise).await {
        Ok(credential) if !credential.is_null() => credential,
        // Closed, timed out, or no passkey: nothing happens.
        _ => return Ok(false),
    };
    let to_json: js_sys::Function =
        js_sys::Reflect::get(&credential, &"toJSON".into())?.dyn_into()?;
    let json = js_sys::JSON::stringify(&to_json.call0(&credential)?)?;
    for (name, value) in [("token", token), ("credential", json.into())] {
        if let Some(field) = form
            .query_selector(&format!("input[name=\"{name}\"]"))?
            .and_then(|f| f.dyn_into::<HtmlInputElement>().ok())
        {
            field.set_value(&value.as_string().unwrap_or_default());
        }
    }
    Ok(true)
}

async fn submit(form: HtmlFormElement, submitter: Option<Element>) -> Result<(), JsValue> {
    if let Some(kind) = form.get_attribute("data-passkey") {
        if !passkey(&form, &kind).await? {
            return Ok(());
        }
    }
    let data = FormData::new_with_form(&form)?;
    if let Some(button) = &submitter {
        if let (Some(name), Some(value)) =
            (button.get_attribute("name"), button.get_attribute("value"))
        {
            data.append_with_str(&name, &value)?;
        }
    }
    let query = UrlSearchParams::new_with_str_sequence_sequence(&data)?;
    let action = local(&form.action());
    if form.method().eq_ignore_ascii_case("get") {
        let query = String::from(query.to_string());
        return swap(&format!("{action}?{query}"), false).await;
    }
    let answer = fetch(&action, "POST", Some(&query.into()), "application/json").await?;
    let location = window().location();
    if let Some(to) = answer.redirect {
        // To this very page with a fragment (`/account#two-factor-title`): assigning it would
        // only scroll, so the page is swapped in again, then scrolled to the fragment.
        let (page, fragment) = match to.split_once('#') {
            Some((page, fragment)) => (page, Some(fragment)),
            None => (to.as_str(), None),
        };
        let here = format!("{}{}", location.pathname()?, location.search()?);
        if let (Some(fragment), true) = (fragment, page == here) {
            swap(page, false).await?;
            return location.set_hash(fragment);
        }
        return location.assign(&to);
    }
    match answer.status {
        200..=299 => swap(&current(), false).await,
        // The session ended (not a refused sign-in, which is 401 too, with its own error).
        401 if String::from_utf8_lossy(&answer.body).contains(r#""error":"unauthorized""#) => {
            let next = js_sys::encode_uri_component(&location.pathname()?);
            location.replace(&format!("/login?next={next}&reason=expired"))
        }
        _ => {
            let here = current();
            let joint = if here.contains('?') { '&' } else { '?' };
            let path = js_sys::encode_uri_component(&action);
            swap(
                &format!(
                    "{here}{joint}__path={path}&__err={}",
                    base64_url(&answer.body)
                ),
                true,
            )
            .await
        }
    }
}

/// Starts the enhancement (the page's loader calls it once the wasm is in): one listener for every form's `submit` and one for the links
/// marked `data-swap`, on the document (so content swapped in later is covered too).
#[wasm_bindgen]
pub fn enhance() {
    // Readable panics in the browser console while developing; release builds abort on panic
    // and leave the hook (and its formatting code) out of the bundle.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    let on_submit = Closure::<dyn Fn(SubmitEvent)>::new(|ev: SubmitEvent| {
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        ev.prevent_default();
        let submitter = ev.submitter().map(Element::from);
        spawn_local(async move {
            if submit(form.clone(), submitter).await.is_err() {
                // Offline, or an answer we cannot read: the browser posts the form itself.
                let _ = form.submit();
            }
        });
    });
    let on_click = Closure::<dyn Fn(MouseEvent)>::new(|ev: MouseEvent| {
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest("a[data-swap]").ok().flatten());
        if let Some(url) = link.and_then(|a| a.get_attribute("data-swap")) {
            ev.prevent_default();
            spawn_local(async move {
                if swap(&url, false).await.is_err() {
                    let _ = window().location().assign(&url);
                }
            });
        }
    });
    let document = document();
    let _ = document.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
    let _ = document.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_submit.forget();
    on_click.forget();
}
