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
    AbortController, Document, DomParser, Element, FormData, HtmlElement, HtmlFormElement,
    HtmlInputElement, HtmlTextAreaElement, MouseEvent, Request, RequestInit, Response, SubmitEvent,
    SupportedType, UrlSearchParams, Window,
};

fn window() -> Window {
    web_sys::window().expect_throw("a window")
}

fn document() -> Document {
    window().document().expect_throw("a document")
}

/// The address whose rendering `<main>` shows, without an error in it (`__err`): the page's
/// own at first, then the last one swapped in.
static SHOWN: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn shown() -> String {
    let here = SHOWN.lock().map(|c| c.clone()).unwrap_or_default();
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

thread_local! {
    /// The address bar's path and query as last seen (the fragment aside), to tell a step
    /// through the history that only changes the fragment.
    static ADDRESS: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The address bar's path and query.
fn address() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// Remembers `url` as the address; whether it differs from the one before.
fn remember_address(url: String) -> bool {
    ADDRESS.with(|address| {
        let mut address = address.borrow_mut();
        let changed = *address != url;
        *address = url;
        changed
    })
}

/// Where a post that went through shows the page again: [`shown`] without the passing states
/// `edit` (after a rename the list shows no form), `clear` (the question before "Clear
/// completed"), `undo` (a delete's "Undo", once it is done) and `select` (selecting tasks,
/// once something was done with them). A refused post shows its error on [`shown`] itself, the form still open with
/// what was typed.
fn current() -> String {
    without(&shown(), &["edit=", "clear=", "undo=", "select=", "__"])
}

/// `url` without the query parameters that start with one of `prefixes`.
fn without(url: &str, prefixes: &[&str]) -> String {
    let kept: Vec<&str> = match url.split_once('?') {
        Some((_, query)) => query
            .split('&')
            .filter(|pair| !prefixes.iter().any(|p| pair.starts_with(p)))
            .collect(),
        None => Vec::new(),
    };
    let path = url.split('?').next().unwrap_or(url);
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn set_shown(url: &str) {
    if let Ok(mut c) = SHOWN.lock() {
        *c = without(url, &["__", "undo="]);
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
    if method != "GET" {
        // This tab made the change: its live update is not news here (see `live`).
        request.headers().set("x-seamless-tab", &tab())?;
    }
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

/// Where the focus goes when what had it (`element`) is not in the new rendering, best first:
/// from a task, that task's "Edit" (its edit form closed), else the task after it, else the
/// one before it (it was deleted); from a form, its first field ("Add" leaves the focus in
/// "New task").
fn fallbacks(element: &Element) -> Vec<String> {
    let mut out = Vec::new();
    let task = |item: &Element| {
        item.query_selector("[role=\"checkbox\"]")
            .ok()
            .flatten()
            .and_then(|b| b.get_attribute("value"))
    };
    if let Some(item) = element.closest(".todo-list li").ok().flatten() {
        if let Some(id) = task(&item) {
            out.push(format!("button[name=\"edit\"][value=\"{id}\"]"));
        }
        for near in [item.next_element_sibling(), item.previous_element_sibling()] {
            if let Some(id) = near.as_ref().and_then(task) {
                out.push(format!("[role=\"checkbox\"][value=\"{id}\"]"));
            }
        }
    }
    let field = element.closest("form").ok().flatten().and_then(|f| {
        f.query_selector("input[id]:not([type=hidden])")
            .ok()
            .flatten()
    });
    if let Some(field) = field {
        out.push(format!("#{}", field.id()));
    }
    out
}

/// How long the "Undo" after a delete stays (while it has the focus, longer).
const UNDO_SHOWN_MS: i32 = 8_000;

/// Takes `notice` (a delete's "Undo") away once it has been shown a while, unless the focus is
/// in it; gone already (another rendering came), nothing to do.
async fn fade_undo(notice: Element) -> Result<(), JsValue> {
    loop {
        sleep(UNDO_SHOWN_MS).await?;
        if !notice.is_connected() {
            return Ok(());
        }
        let focused = document().active_element();
        if !focused.is_some_and(|f| notice.contains(Some(&f))) {
            notice.remove();
            return Ok(());
        }
    }
}

/// What of the old rendering a new one keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Nothing,
    /// The text the person typed into the fields, put into the new ones (by id): a refused
    /// post loses nothing (the new fields say what was wrong with it).
    Typed,
    /// That, and the field being typed in itself, as it is (its caret, a composition in
    /// progress): the page shown again while the person types (a live update).
    Typing,
}

/// Replaces `<main>` with the server's rendering of `url`, keeping what `keep` says.
async fn swap(url: &str, keep: Keep) -> Result<(), JsValue> {
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
    if keep != Keep::Nothing {
        let fields = old.query_selector_all("input[id]:not([type=hidden]), textarea[id]")?;
        for i in 0..fields.length() {
            let Some(field) = fields.get(i).and_then(|f| f.dyn_into::<Element>().ok()) else {
                continue;
            };
            if let Some(twin) = new.query_selector(&format!("#{}", field.id()))? {
                match (
                    field.dyn_ref::<HtmlInputElement>(),
                    twin.dyn_ref::<HtmlInputElement>(),
                ) {
                    (Some(typed), Some(twin)) => twin.set_value(&typed.value()),
                    _ => {
                        if let (Some(typed), Some(twin)) = (
                            field.dyn_ref::<HtmlTextAreaElement>(),
                            twin.dyn_ref::<HtmlTextAreaElement>(),
                        ) {
                            twin.set_value(&typed.value());
                        }
                    }
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
    let active = document().active_element();
    if keep == Keep::Typing {
        // The field being typed in goes into the new rendering itself, in place of its twin.
        let field = active.as_ref().filter(|a| {
            !a.id().is_empty()
                && (a.is_instance_of::<HtmlInputElement>()
                    || a.is_instance_of::<HtmlTextAreaElement>())
        });
        if let Some(field) = field {
            if let Some(twin) = new.query_selector(&format!("#{}", field.id()))? {
                twin.replace_with_with_node_1(field)?;
            }
        }
    }
    let focused = active.as_ref().and_then(counterpart);
    let instead = active.as_ref().map(fallbacks).unwrap_or_default();
    stop_autofill();
    old.replace_with_with_node_1(&new)?;
    if let Some(title) = parsed
        .query_selector("title")?
        .and_then(|t| t.text_content())
    {
        document().set_title(&title);
    }
    let target = match new.query_selector("[autofocus]")? {
        Some(field) => Some(field),
        None => focused
            .into_iter()
            .chain(instead)
            .find_map(|selector| new.query_selector(&selector).ok().flatten()),
    };
    if let Some(target) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
        let _ = target.focus();
    }
    set_shown(url);
    draggable(&new);
    if let Some(notice) = new.query_selector("[data-undo]")? {
        spawn_local(async move {
            let _ = fade_undo(notice).await;
        });
    }
    if new.query_selector("form[data-passkey-autofill]")?.is_some() {
        spawn_local(start_autofill());
    }
    Ok(())
}

/// Where `form` posts, as a local path. From its attribute: `form.action` is whatever control
/// of the form is named "action", when one is.
fn action_of(form: &HtmlFormElement) -> String {
    match form.get_attribute("action") {
        Some(action) => local(&action),
        None => local(&form.action()),
    }
}

fn local(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest[rest.find('/').unwrap_or(rest.len())..].to_owned(),
        None => url.to_owned(),
    }
}

/// The fields of `form` named in `trigger`'s `data-options-fields` (the reset link's token,
/// say), as the body of the request for a passkey ceremony's options.
fn options_body(form: &HtmlFormElement, trigger: &Element) -> Result<Option<JsValue>, JsValue> {
    let Some(names) = trigger.get_attribute("data-options-fields") else {
        return Ok(None);
    };
    let body = UrlSearchParams::new()?;
    for name in names.split_whitespace() {
        if let Some(field) = form
            .query_selector(&format!("input[name=\"{name}\"]"))?
            .and_then(|f| f.dyn_into::<HtmlInputElement>().ok())
        {
            body.append(name, &field.value());
        }
    }
    Ok(Some(body.into()))
}

/// The server's options for a passkey ceremony (from the server function at `trigger`'s
/// `data-options`) as the browser's `credentials.create()`/`.get()` take them, and the token
/// that finishes it; `Err` with the server's answer when it refused to start one.
async fn ceremony(
    form: &HtmlFormElement,
    trigger: &Element,
    kind: &str,
) -> Result<Result<(JsValue, js_sys::Object), Answer>, JsValue> {
    let options_path = trigger.get_attribute("data-options").unwrap_or_default();
    let body = options_body(form, trigger)?;
    let answer = fetch(&options_path, "POST", body.as_ref(), "application/json").await?;
    if answer.status != 200 {
        return Ok(Err(answer));
    }
    // The server function's answer is a JSON string that holds the JSON of the ceremony.
    let text = js_sys::JSON::parse(&String::from_utf8_lossy(&answer.body))?;
    let ceremony = js_sys::JSON::parse(&text.as_string().unwrap_or_default())?;
    let token = js_sys::Reflect::get(&ceremony, &"token".into())?;
    let options = js_sys::Reflect::get(&ceremony, &"options".into())?;
    let public_key = js_sys::Reflect::get(&options, &"publicKey".into())?;
    let class = js_sys::Reflect::get(&window(), &"PublicKeyCredential".into())?;
    let parse = match kind {
        "create" => "parseCreationOptionsFromJSON",
        _ => "parseRequestOptionsFromJSON",
    };
    let parse: js_sys::Function = js_sys::Reflect::get(&class, &parse.into())?.dyn_into()?;
    let request = js_sys::Object::new();
    js_sys::Reflect::set(
        &request,
        &"publicKey".into(),
        &parse.call1(&class, &public_key)?,
    )?;
    Ok(Ok((token, request)))
}

/// Asks the browser's passkey dialog (`create` or `get`) with `request`: the credential, or
/// `None` when the person closed it, it timed out or was stopped.
async fn credential(kind: &str, request: &js_sys::Object) -> Result<Option<JsValue>, JsValue> {
    let credentials = window().navigator().credentials();
    let call = if kind == "create" { "create" } else { "get" };
    let call: js_sys::Function = js_sys::Reflect::get(&credentials, &call.into())?.dyn_into()?;
    let promise: js_sys::Promise = call.call1(&credentials, request)?.dyn_into()?;
    Ok(JsFuture::from(promise)
        .await
        .ok()
        .filter(|credential| !credential.is_null()))
}

/// Puts the ceremony's token and the browser's answer into `form`'s passkey answer fields
/// (`data-passkey-answer`).
fn fill_answer(
    form: &HtmlFormElement,
    token: JsValue,
    credential: &JsValue,
) -> Result<(), JsValue> {
    let to_json: js_sys::Function =
        js_sys::Reflect::get(credential, &"toJSON".into())?.dyn_into()?;
    let json = js_sys::JSON::stringify(&to_json.call0(credential)?)?;
    for (part, value) in [("token", token), ("credential", json.into())] {
        if let Some(field) = form
            .query_selector(&format!("input[data-passkey-answer=\"{part}\"]"))?
            .and_then(|f| f.dyn_into::<HtmlInputElement>().ok())
        {
            field.set_value(&value.as_string().unwrap_or_default());
        }
    }
    Ok(())
}

/// A passkey step (`trigger` is the form, or the button that sent it, with `data-passkey`
/// "create" or "get" and the options' server function at `data-options`): asks the server
/// for the ceremony's options, lets the browser's passkey dialog answer them, and puts the
/// answer (and the ceremony's token) into the form's answer fields, which the form then posts
/// like any other. `Ok(false)` when the person closed the dialog, or the server refused to
/// start (its error is shown).
async fn passkey(form: &HtmlFormElement, trigger: &Element) -> Result<bool, JsValue> {
    let kind = trigger.get_attribute("data-passkey").unwrap_or_default();
    let (token, request) = match ceremony(form, trigger, &kind).await? {
        Ok(ceremony) => ceremony,
        Err(refused) => {
            show_error(&action_of(form), &refused.body).await?;
            return Ok(false);
        }
    };
    // The browser runs one passkey request at a time: the autofill's waiting one goes.
    stop_autofill();
    let Some(credential) = credential(&kind, &request).await? else {
        // Closed, timed out, or no passkey: nothing happens (and the autofill offers again).
        spawn_local(start_autofill());
        return Ok(false);
    };
    fill_answer(form, token, &credential)?;
    Ok(true)
}

/// The autofill's waiting request is renewed this often, before the server forgets its
/// ceremony (`CEREMONY_TTL`, two minutes, when the browser's own timeout ends it too)...
const AUTOFILL_RENEW_MS: i32 = 110_000;
/// ...at most this many times in a row: a sign-in page left open stops offering passkeys in
/// its autofill after about 20 minutes (the "Sign in with a passkey" button still works).
const AUTOFILL_RENEWALS: u32 = 10;

thread_local! {
    /// The passkey autofill's waiting request, to stop it.
    static AUTOFILL: std::cell::RefCell<Option<AbortController>> = const { std::cell::RefCell::new(None) };
    /// Its renewals since the page (or a person) last started it.
    static RENEWED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn stop_autofill() {
    if let Some(controller) = AUTOFILL.with(|a| a.borrow_mut().take()) {
        controller.abort();
    }
}

/// Passkeys in the browser's autofill (conditional mediation): on a page with a passkey
/// sign-in form marked `data-passkey-autofill` (and an email field whose `autocomplete` says
/// `webauthn`), a passkey request waits quietly; the browser lists the site's passkeys with
/// the saved addresses, and choosing one posts that form. Nothing shows where the browser
/// cannot, or the server does not start a ceremony (a rate limit).
async fn start_autofill() {
    RENEWED.with(|r| r.set(0));
    stop_autofill();
    let _ = autofill().await;
}

/// A promise that settles after `ms` milliseconds.
async fn sleep(ms: i32) -> Result<(), JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    JsFuture::from(promise).await.map(|_| ())
}

/// Renews the autofill's request `waiting` once its ceremony is about to expire, if it still
/// waits.
async fn renew_autofill(waiting: AbortController) -> Result<(), JsValue> {
    sleep(AUTOFILL_RENEW_MS).await?;
    let current = AUTOFILL.with(|a| {
        a.borrow()
            .as_ref()
            .is_some_and(|c| js_sys::Object::is(c, &waiting))
    });
    let renewals = RENEWED.with(|r| {
        r.set(r.get() + 1);
        r.get()
    });
    if current && renewals <= AUTOFILL_RENEWALS {
        stop_autofill();
        autofill().await?;
    }
    Ok(())
}

async fn autofill() -> Result<(), JsValue> {
    let Some(form) = document()
        .query_selector("form[data-passkey-autofill][data-passkey=\"get\"]")?
        .and_then(|f| f.dyn_into::<HtmlFormElement>().ok())
    else {
        return Ok(());
    };
    let class = js_sys::Reflect::get(&window(), &"PublicKeyCredential".into())?;
    let Ok(available) = js_sys::Reflect::get(&class, &"isConditionalMediationAvailable".into())?
        .dyn_into::<js_sys::Function>()
    else {
        return Ok(());
    };
    let promise: js_sys::Promise = available.call0(&class)?.dyn_into()?;
    if JsFuture::from(promise).await?.as_bool() != Some(true) {
        return Ok(());
    }
    let Ok((token, request)) = ceremony(&form, &form, "get").await? else {
        return Ok(());
    };
    let controller = AbortController::new()?;
    js_sys::Reflect::set(&request, &"mediation".into(), &"conditional".into())?;
    js_sys::Reflect::set(&request, &"signal".into(), &controller.signal())?;
    AUTOFILL.with(|a| *a.borrow_mut() = Some(controller.clone()));
    spawn_local(async move {
        let _ = renew_autofill(controller).await;
    });
    let Some(credential) = credential("get", &request).await? else {
        return Ok(());
    };
    AUTOFILL.with(|a| a.borrow_mut().take());
    fill_answer(&form, token, &credential)?;
    post(form, None).await
}

/// Shows the error of a refused post (a server function's error body) the way a form post
/// without JavaScript gets it: the page again with `?__path=…&__err=…`, what was typed kept.
async fn show_error(action: &str, body: &[u8]) -> Result<(), JsValue> {
    let here = without(&shown(), &["__"]);
    let joint = if here.contains('?') { '&' } else { '?' };
    let path = js_sys::encode_uri_component(action);
    swap(
        &format!("{here}{joint}__path={path}&__err={}", base64_url(body)),
        Keep::Typed,
    )
    .await
}

async fn submit(form: HtmlFormElement, submitter: Option<Element>) -> Result<(), JsValue> {
    let trigger = match &submitter {
        Some(button) if button.has_attribute("data-passkey") => Some(button.clone()),
        _ if form.has_attribute("data-passkey") => Some(Element::from(form.clone())),
        _ => None,
    };
    if let Some(trigger) = trigger {
        if !passkey(&form, &trigger).await? {
            return Ok(());
        }
    }
    post(form, submitter).await
}

/// Sends `form` (as `submitter` would) and shows what came of it.
async fn post(form: HtmlFormElement, submitter: Option<Element>) -> Result<(), JsValue> {
    let data = FormData::new_with_form(&form)?;
    if let Some(button) = &submitter {
        if let (Some(name), Some(value)) =
            (button.get_attribute("name"), button.get_attribute("value"))
        {
            data.append_with_str(&name, &value)?;
        }
    }
    let query = UrlSearchParams::new_with_str_sequence_sequence(&data)?;
    let action = action_of(&form);
    // The attribute, not `form.method`: a field named "method" would stand in for it. A form
    // without one gets.
    let method = form
        .get_attribute("method")
        .unwrap_or_else(|| "get".to_owned());
    if method.eq_ignore_ascii_case("get") {
        let query = String::from(query.to_string());
        let url = format!("{action}?{query}");
        swap(&url, Keep::Nothing).await?;
        // A search (`role="search"`) is a view of its own: its address goes into the address
        // bar and the history, as a link's would. (A task's "Edit" is a passing state.)
        if form.get_attribute("role").as_deref() == Some("search") {
            window()
                .history()?
                .push_state_with_url(&JsValue::NULL, "", Some(&url))?;
            remember_address(address());
        }
        return Ok(());
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
            swap(page, Keep::Nothing).await?;
            return location.set_hash(fragment);
        }
        // To the task list from the task list (a delete, with its "Undo"): in place, like any
        // change there.
        let path = location.pathname()?;
        if fragment.is_none() && path == "/todos" && page.split('?').next() == Some("/todos") {
            return swap(page, Keep::Nothing).await;
        }
        return location.assign(&to);
    }
    match answer.status {
        200..=299 => swap(&current(), Keep::Nothing).await,
        // The session ended (not a refused sign-in, which is 401 too, with its own error).
        401 if String::from_utf8_lossy(&answer.body).contains(r#""error":"unauthorized""#) => {
            let next = js_sys::encode_uri_component(&location.pathname()?);
            location.replace(&format!("/login?next={next}&reason=expired"))
        }
        _ => show_error(&action, &answer.body).await,
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
                if swap(&url, Keep::Nothing).await.is_err() {
                    let _ = window().location().assign(&url);
                }
            });
        }
    });
    // Back and forward through addresses a search put into the history: that page again.
    // A step that changes only the fragment (a server function's redirect to this page and a
    // place on it, `/account#two-factor-title`, or Back from there) is the same page: showing
    // it again would throw away what was typed since.
    remember_address(address());
    let on_history = Closure::<dyn Fn(web_sys::Event)>::new(|_| {
        let url = address();
        if !remember_address(url.clone()) {
            return;
        }
        spawn_local(async move {
            if swap(&url, Keep::Nothing).await.is_err() {
                let _ = window().location().reload();
            }
        });
    });
    let _ =
        window().add_event_listener_with_callback("popstate", on_history.as_ref().unchecked_ref());
    on_history.forget();
    // Alt+Up and Alt+Down in a task move it, as its "Move up" and "Move down" buttons do (the
    // focus stays on the same task, in its new place: `swap` keeps it); Escape in a task's
    // edit form is its "Cancel".
    let on_key = Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(|ev: web_sys::KeyboardEvent| {
        let control = match ev.key().as_str() {
            "ArrowUp" if ev.alt_key() => "button[name=\"up\"]",
            "ArrowDown" if ev.alt_key() => "button[name=\"down\"]",
            "Escape" => ".todo__edit a[data-swap]",
            _ => return,
        };
        let button = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest(".todo-list li").ok().flatten())
            .and_then(|item| item.query_selector(control).ok().flatten())
            .and_then(|b| b.dyn_into::<HtmlElement>().ok());
        if let Some(button) = button {
            ev.prevent_default();
            button.click();
        }
    });
    let document = document();
    let _ = document.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    on_key.forget();
    let _ = document.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
    let _ = document.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_submit.forget();
    on_click.forget();
    spawn_local(start_autofill());
    start_live();
    start_dragging(&document);
    if remember_time_zone()
        && document
            .query_selector("time[datetime]")
            .ok()
            .flatten()
            .is_some()
    {
        // The due dates were named for another day ("Today" in UTC): name them again.
        spawn_local(async {
            let _ = swap(&shown(), Keep::Nothing).await;
        });
    }
}

/// The task page in step with the person's other tabs and devices: it listens for their
/// changes (`GET /events`, server-sent events, while the page is visible) and shows the page
/// again when one comes. It listens from when the page's tasks were read (`since`, the
/// page's `data-live-since`; and each event's id, which the browser sends back when it
/// connects again after a break), so the server tells it of a change it would otherwise
/// have missed: while it was hidden, or before the stream opened. When the server will not
/// let it listen (no room for one more listener), it shows the page again instead whenever
/// the page is looked at.
#[derive(Default)]
struct Live {
    /// The open stream, while the page is visible.
    source: Option<web_sys::EventSource>,
    /// A showing of the page is under way; `again` asks for one more after it.
    refreshing: bool,
    again: bool,
}

thread_local! {
    static LIVE: std::cell::RefCell<Live> = std::cell::RefCell::new(Live::default());
    /// This tab's id (`x-seamless-tab`), to skip the events of its own changes.
    static TAB: String = {
        let n = (js_sys::Math::random() * 2f64.powi(52)) as u64;
        format!("{n:x}")
    };
}

fn tab() -> String {
    TAB.with(Clone::clone)
}

/// Starts listening on the task page.
fn start_live() {
    if window().location().pathname().ok().as_deref() != Some("/todos") {
        return;
    }
    let on_visibility = Closure::<dyn Fn()>::new(|| {
        if document().visibility_state() == web_sys::VisibilityState::Visible {
            open_events();
        } else if let Some(source) = LIVE.with(|live| live.borrow_mut().source.take()) {
            // Hidden: its connection goes back to the server (and to the browser's few per site).
            source.close();
        }
    });
    let _ = document().add_event_listener_with_callback(
        "visibilitychange",
        on_visibility.as_ref().unchecked_ref(),
    );
    on_visibility.forget();
    if document().visibility_state() == web_sys::VisibilityState::Visible {
        open_events();
    }
}

fn open_events() {
    let open = LIVE.with(|live| {
        live.borrow()
            .source
            .as_ref()
            .is_some_and(|source| source.ready_state() != web_sys::EventSource::CLOSED)
    });
    if open {
        return;
    }
    let since = document()
        .query_selector("[data-live-since]")
        .ok()
        .flatten()
        .and_then(|page| page.get_attribute("data-live-since"));
    let url = match since {
        Some(since) => format!(
            "/events?since={}",
            String::from(js_sys::encode_uri_component(&since))
        ),
        None => "/events".to_owned(),
    };
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    let on_change = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|ev: web_sys::MessageEvent| {
        if ev.data().as_string() != Some(tab()) {
            refresh();
        }
    });
    let _ = source.add_event_listener_with_callback("tasks", on_change.as_ref().unchecked_ref());
    on_change.forget();
    let on_open = Closure::<dyn Fn()>::new(|| {
        // Listening (tests wait for it before they change anything elsewhere).
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-live", "");
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let on_error = Closure::<dyn Fn()>::new(|| {
        // A break the browser connects again after (it says where it was: the last event's
        // id) needs nothing here. A stream the server refused (signed out, no room for one
        // more) is not tried again until the page is looked at again, and the page is shown
        // again instead, so it has what it did not hear.
        let refused = LIVE.with(|live| {
            let mut live = live.borrow_mut();
            let closed = live
                .source
                .as_ref()
                .is_some_and(|source| source.ready_state() == web_sys::EventSource::CLOSED);
            if closed {
                live.source = None;
            }
            closed
        });
        if refused {
            refresh();
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    LIVE.with(|live| live.borrow_mut().source = Some(source));
}

/// Whether the person is in the middle of something a new rendering would disturb: a task's
/// edit form is open (its version must stay the one it was opened at: `rename_todo`), or
/// tasks are being selected. (A field being typed in is kept as it is: `swap`.)
fn busy() -> bool {
    document()
        .query_selector(".todo__edit, form.selection")
        .ok()
        .flatten()
        .is_some()
}

/// Shows the page again (as the address it shows says), unless the person is busy (their
/// edit or selection ends with a new rendering anyway), one showing at a time.
fn refresh() {
    let start = LIVE.with(|live| {
        let mut live = live.borrow_mut();
        if live.refreshing {
            live.again = true;
            return false;
        }
        true
    });
    if !start {
        return;
    }
    if busy() {
        // Shown with the page's next rendering, when the edit or the selection is done.
        return;
    }
    LIVE.with(|live| live.borrow_mut().refreshing = true);
    spawn_local(async {
        loop {
            // What is being typed stays (a new task's title, a search).
            let _ = swap(&shown(), Keep::Typing).await;
            if !LIVE.with(|live| std::mem::take(&mut live.borrow_mut().again)) {
                break;
            }
            if busy() {
                break;
            }
        }
        LIVE.with(|live| live.borrow_mut().refreshing = false);
    });
}

/// Drag and drop in the person's own order: a task (one that can move, in that order) is
/// dragged by its row and dropped before or after another, by the half of that row it is
/// dropped on; the server puts it there (`place_todo`) and the list is shown again.
fn start_dragging(document: &Document) {
    if let Some(main) = document.query_selector("main").ok().flatten() {
        draggable(&main);
    }
    let on_start = Closure::<dyn Fn(web_sys::DragEvent)>::new(|ev: web_sys::DragEvent| {
        let Some(item) = task_row(ev.target()) else {
            return;
        };
        let Some(id) = task_id(&item) else {
            return;
        };
        if let Some(transfer) = ev.data_transfer() {
            transfer.set_effect_allowed("move");
            // Some browsers drag nothing without data.
            let _ = transfer.set_data("text/plain", &item.text_content().unwrap_or_default());
        }
        let _ = item.class_list().add_1("dragging");
        DRAGGED.with(|d| *d.borrow_mut() = Some(id));
    });
    let on_over = Closure::<dyn Fn(web_sys::DragEvent)>::new(|ev: web_sys::DragEvent| {
        if DRAGGED.with(|d| d.borrow().is_none()) {
            return;
        }
        let Some(item) = task_row(ev.target()) else {
            return;
        };
        // Dropping is allowed here; the row shows on which side the task would go.
        ev.prevent_default();
        let side = drop_side(&item, &ev);
        if item.get_attribute("data-drop").as_deref() != Some(side) {
            clear_drop_marks();
            let _ = item.set_attribute("data-drop", side);
        }
    });
    let on_drop = Closure::<dyn Fn(web_sys::DragEvent)>::new(|ev: web_sys::DragEvent| {
        let Some(dragged) = DRAGGED.with(|d| d.borrow_mut().take()) else {
            return;
        };
        let Some(item) = task_row(ev.target()) else {
            return;
        };
        ev.prevent_default();
        let side = drop_side(&item, &ev);
        clear_drop_marks();
        let Some(other) = task_id(&item).filter(|other| *other != dragged) else {
            return;
        };
        spawn_local(async move {
            if place(&dragged, side, &other).await.is_err() {
                let _ = window().location().reload();
            }
        });
    });
    let on_end = Closure::<dyn Fn()>::new(|| {
        DRAGGED.with(|d| d.borrow_mut().take());
        clear_drop_marks();
        if let Ok(Some(item)) = document_node().query_selector(".todo-list .dragging") {
            let _ = item.class_list().remove_1("dragging");
        }
    });
    for (name, listener) in [
        ("dragstart", on_start.as_ref()),
        ("dragover", on_over.as_ref()),
        ("drop", on_drop.as_ref()),
        ("dragend", on_end.as_ref()),
    ] {
        let _ = document.add_event_listener_with_callback(name, listener.unchecked_ref());
    }
    on_start.forget();
    on_over.forget();
    on_drop.forget();
    on_end.forget();
}

thread_local! {
    /// The task being dragged (its id as the page writes it).
    static DRAGGED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn document_node() -> Document {
    document()
}

/// Makes the tasks in `root` that can move (they have "Move up") draggable.
fn draggable(root: &Element) {
    let Ok(items) = root.query_selector_all(".todo-list > li:has(> button[name=\"up\"])") else {
        return;
    };
    for i in 0..items.length() {
        if let Some(item) = items.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let _ = item.set_attribute("draggable", "true");
        }
    }
}

/// The draggable task row `target` is in.
fn task_row(target: Option<web_sys::EventTarget>) -> Option<Element> {
    target
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|e| e.closest(".todo-list > li[draggable]").ok().flatten())
}

/// A task row's task id (its checkbox's value).
fn task_id(item: &Element) -> Option<String> {
    item.query_selector("[role=\"checkbox\"]")
        .ok()
        .flatten()
        .and_then(|b| b.get_attribute("value"))
}

/// `before` or `after` `item`, by the half of it the pointer is over.
fn drop_side(item: &Element, ev: &web_sys::DragEvent) -> &'static str {
    let rect = item.get_bounding_client_rect();
    if f64::from(ev.client_y()) < rect.top() + rect.height() / 2.0 {
        "before"
    } else {
        "after"
    }
}

fn clear_drop_marks() {
    if let Ok(marked) = document().query_selector_all(".todo-list > li[data-drop]") {
        for i in 0..marked.length() {
            if let Some(item) = marked.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let _ = item.remove_attribute("data-drop");
            }
        }
    }
}

/// Puts the task `id` `side` (`before`, `after`) the task `other`, then shows the list again.
async fn place(id: &str, side: &str, other: &str) -> Result<(), JsValue> {
    let body = UrlSearchParams::new()?;
    body.append("id", id);
    body.append(side, other);
    let answer = fetch(
        "/rpc/place_todo",
        "POST",
        Some(&body.into()),
        "application/json",
    )
    .await?;
    match answer.status {
        200..=299 => swap(&current(), Keep::Nothing).await,
        _ => show_error("/rpc/place_todo", &answer.body).await,
    }
}

/// Keeps the browser's time zone (`Europe/Paris`) in the `tz` cookie, so the server names due
/// dates ("Today", "Overdue") by the person's day. Says whether it was not there yet.
fn remember_time_zone() -> bool {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let Some(zone) = js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|z| z.as_string())
    else {
        return false;
    };
    let Some(document) = document().dyn_into::<web_sys::HtmlDocument>().ok() else {
        return false;
    };
    let cookie = format!("tz={zone}");
    let cookies = document.cookie().unwrap_or_default();
    if cookies.split("; ").any(|c| c == cookie) {
        return false;
    }
    let secure = match window().location().protocol().as_deref() {
        Ok("https:") => "; secure",
        _ => "",
    };
    document
        .set_cookie(&format!(
            "{cookie}; path=/; max-age=31536000; samesite=lax{secure}"
        ))
        .is_ok()
}
