//! xterm.js in the browser (served by peon from `/pkg/xterm/`, installed
//! from npm by the build), joined to a terminal's WebSocket. Browser only.

use crate::api::{TERMINAL_SOCKET_ACKS, TerminalControl, terminal_socket_path};
use js_sys::{Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Terminal)]
    type XTerm;
    #[wasm_bindgen(constructor, js_class = "Terminal")]
    fn new(options: &JsValue) -> XTerm;
    #[wasm_bindgen(method)]
    fn open(this: &XTerm, parent: &web_sys::HtmlElement);
    #[wasm_bindgen(method)]
    fn write(this: &XTerm, data: &JsValue);
    /// `write`, calling `done` once xterm.js has drawn `data`.
    #[wasm_bindgen(method, js_name = write)]
    fn write_then(this: &XTerm, data: &JsValue, done: &JsValue);
    #[wasm_bindgen(method, js_name = onData)]
    fn on_data(this: &XTerm, handler: &Closure<dyn FnMut(String)>);
    #[wasm_bindgen(method, js_name = loadAddon)]
    fn load_addon(this: &XTerm, addon: &Fit);
    #[wasm_bindgen(method, getter)]
    fn cols(this: &XTerm) -> u16;
    #[wasm_bindgen(method, getter)]
    fn rows(this: &XTerm) -> u16;
    #[wasm_bindgen(method)]
    fn focus(this: &XTerm);
    #[wasm_bindgen(method)]
    fn dispose(this: &XTerm);
}

#[wasm_bindgen]
extern "C" {
    /// `FitAddon.FitAddon` (the addon's UMD build puts its exports there).
    #[wasm_bindgen(js_namespace = FitAddon, js_name = FitAddon)]
    type Fit;
    #[wasm_bindgen(constructor, js_namespace = FitAddon, js_class = "FitAddon")]
    fn new_fit() -> Fit;
    #[wasm_bindgen(method, js_class = "FitAddon", js_name = fit)]
    fn fit(this: &Fit);
}

/// The browser says what it has drawn at least this often (bytes), and
/// whenever it has drawn all it was sent (see the server's `Flow`).
const ACK_EVERY: u64 = 64 * 1024;

/// Most typed while reconnecting that is kept for the next socket.
const TYPED_AHEAD_BYTES: usize = 64 * 1024;

const SCRIPTS: [&str; 2] = ["/pkg/xterm/xterm.js", "/pkg/xterm/addon-fit.js"];
const STYLESHEET: &str = "/pkg/xterm/xterm.css";

thread_local! {
    /// The one load of xterm.js, shared by every terminal that asks.
    static LOADING: std::cell::RefCell<Option<js_sys::Promise>> =
        const { std::cell::RefCell::new(None) };
}

/// Loads xterm.js once; resolves when it can be used. Terminals asking at
/// the same time wait for the same load.
pub async fn load() -> Result<(), String> {
    let promise = LOADING.with(|loading| {
        loading
            .borrow_mut()
            .get_or_insert_with(|| {
                wasm_bindgen_futures::future_to_promise(async {
                    load_scripts()
                        .await
                        .map(|()| JsValue::UNDEFINED)
                        .map_err(|e| JsValue::from_str(&e))
                })
            })
            .clone()
    });
    let loaded = wasm_bindgen_futures::JsFuture::from(promise).await;
    loaded.map(|_| ()).map_err(|e| {
        // Let a later attempt try again.
        LOADING.with(|loading| loading.borrow_mut().take());
        e.as_string()
            .unwrap_or_else(|| "could not load xterm.js".to_string())
    })
}

async fn load_scripts() -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let ready =
        Reflect::get(&js_sys::global(), &"FitAddon".into()).is_ok_and(|v| !v.is_undefined());
    if ready {
        return Ok(());
    }
    if document
        .query_selector(&format!("link[href='{STYLESHEET}']"))
        .ok()
        .flatten()
        .is_none()
    {
        let link: web_sys::HtmlLinkElement = document
            .create_element("link")
            .map_err(|_| "cannot create a link")?
            .unchecked_into();
        link.set_rel("stylesheet");
        link.set_href(STYLESHEET);
        if let Some(head) = document.head() {
            let _ = head.append_child(&link);
        }
    }
    for src in SCRIPTS {
        let script: web_sys::HtmlScriptElement = document
            .create_element("script")
            .map_err(|_| "cannot create a script")?
            .unchecked_into();
        script.set_src(src);
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
        });
        document
            .body()
            .ok_or("no body")?
            .append_child(&script)
            .map_err(|_| "cannot add a script")?;
        wasm_bindgen_futures::JsFuture::from(loaded)
            .await
            .map_err(|_| format!("could not load {src}"))?;
    }
    Ok(())
}

/// What a terminal's socket reports to its view.
pub enum SocketEvent {
    /// The shell ended (its message is already on the screen).
    Ended,
    /// The socket closed after being open this long (0 if it never
    /// opened); `behind` when the server cut it off for falling behind.
    Closed { open_ms: f64, behind: bool },
}

/// Writes handed to xterm.js with a callback, oldest first, each with the
/// number of the link that received it. xterm.js calls the callbacks in
/// order, so one callback for the screen's life serves them all (and none
/// is left behind when the screen is disposed mid-write).
#[derive(Default)]
struct Drawing {
    /// The current link's number.
    link: u32,
    writes: std::collections::VecDeque<(u32, u64)>,
    /// Bytes the current link received that were drawn, and acknowledged.
    drawn: u64,
    acked: u64,
}

impl Drawing {
    /// A new link: its count starts at zero.
    fn next_link(&mut self) -> u32 {
        self.link = self.link.wrapping_add(1);
        (self.drawn, self.acked) = (0, 0);
        self.link
    }

    fn wrote(&mut self, link: u32, len: u64) {
        self.writes.push_back((link, len));
    }

    /// The oldest write was drawn; the total to acknowledge, if it is time
    /// (every `ACK_EVERY` bytes, and whenever all was drawn: writes of
    /// older links came first, so what is left is the current link's).
    fn drew(&mut self) -> Option<u64> {
        let (link, len) = self.writes.pop_front()?;
        if link != self.link {
            return None;
        }
        self.drawn += len;
        (self.writes.is_empty() || self.drawn - self.acked >= ACK_EVERY).then(|| {
            self.acked = self.drawn;
            self.drawn
        })
    }
}

/// The socket a screen sends keystrokes and sizes through; replaced on
/// every reconnect, `None` between.
type CurrentSocket = Rc<RefCell<Option<web_sys::WebSocket>>>;

/// An xterm.js terminal in `parent`. It lives as long as the view, across
/// reconnects of its socket (`Link`), so focus, selection and what is on
/// screen survive them. Dropping it disposes of the view; the shell keeps
/// running.
pub struct Screen {
    term: XTerm,
    fit: Fit,
    socket: CurrentSocket,
    /// Keys typed while no socket is open, sent when the next one opens.
    typed_ahead: Rc<RefCell<String>>,
    drawing: Rc<RefCell<Drawing>>,
    on_drawn: Closure<dyn FnMut()>,
    _on_data: Closure<dyn FnMut(String)>,
    observer: Option<web_sys::ResizeObserver>,
    _on_resize: Closure<dyn FnMut()>,
}

impl Screen {
    pub fn new(parent: &web_sys::HtmlElement) -> Self {
        let options = Object::new();
        let _ = Reflect::set(&options, &"fontSize".into(), &13.into());
        let _ = Reflect::set(&options, &"scrollback".into(), &5000.into());
        let _ = Reflect::set(&options, &"cursorBlink".into(), &true.into());
        let term = XTerm::new(&options);
        let fit = Fit::new_fit();
        term.load_addon(&fit);
        term.open(parent);
        fit.fit();
        let socket = CurrentSocket::default();

        let (typed, typed_ahead) = (socket.clone(), Rc::new(RefCell::new(String::new())));
        let held = typed_ahead.clone();
        let on_data = Closure::<dyn FnMut(String)>::new(move |data: String| {
            match typed.borrow().as_ref() {
                Some(socket) if socket.ready_state() == web_sys::WebSocket::OPEN => {
                    send(socket, &TerminalControl::Input { data });
                }
                // Reconnecting: keep what was typed (a bounded amount).
                _ => {
                    let mut held = held.borrow_mut();
                    if held.len() + data.len() <= TYPED_AHEAD_BYTES {
                        held.push_str(&data);
                    }
                }
            }
        });
        term.on_data(&on_data);

        let (resizing, sized, fitted) = (socket.clone(), dup(&term), dup(&fit));
        let on_resize = Closure::<dyn FnMut()>::new(move || {
            fitted.fit();
            if let Some(socket) = resizing.borrow().as_ref() {
                send(socket, &size_of(&sized));
            }
        });
        let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
        if let Some(observer) = &observer {
            observer.observe(parent);
        }
        let drawing = Rc::new(RefCell::new(Drawing::default()));
        let (counted, acks) = (drawing.clone(), socket.clone());
        let on_drawn = Closure::<dyn FnMut()>::new(move || {
            let total = counted.borrow_mut().drew();
            if let (Some(total), Some(socket)) = (total, acks.borrow().as_ref()) {
                send(socket, &TerminalControl::Ack { bytes: total });
            }
        });
        term.focus();
        Self {
            term,
            fit,
            socket,
            typed_ahead,
            drawing,
            on_drawn,
            _on_data: on_data,
            observer,
            _on_resize: on_resize,
        }
    }

    /// Connects the screen to terminal `id`; `on_event` hears the shell end
    /// and the socket close. The screen is cleared as the scrollback
    /// arrives afresh.
    pub fn connect(
        &self,
        id: &str,
        on_event: impl Fn(SocketEvent) + 'static,
    ) -> Result<Link, String> {
        let location = web_sys::window().ok_or("no window")?.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().map_err(|_| "no host")?;
        let socket = web_sys::WebSocket::new(&format!(
            "{scheme}://{host}{}{TERMINAL_SOCKET_ACKS}",
            terminal_socket_path(id)
        ))
        .map_err(|_| "cannot open the terminal's socket")?;
        socket.set_binary_type(web_sys::BinaryType::Arraybuffer);

        let writer = dup(&self.term);
        let on_event = Rc::new(on_event);
        let ended = on_event.clone();
        let link = self.drawing.borrow_mut().next_link();
        let (drawing, on_drawn) = (self.drawing.clone(), self.on_drawn.as_ref().clone());
        let behind = Rc::new(std::cell::Cell::new(false));
        let was_behind = behind.clone();
        // The scrollback, the socket's first output, replaces what the
        // screen showed; until it comes the old screen stays readable.
        let mut first = true;
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let data = ev.data();
                if data.is_instance_of::<js_sys::ArrayBuffer>() {
                    let bytes = Uint8Array::new(&data);
                    if std::mem::take(&mut first) {
                        // RIS, queued after whatever is still being drawn.
                        writer.write(&"\x1bc".into());
                    }
                    drawing.borrow_mut().wrote(link, u64::from(bytes.length()));
                    writer.write_then(&bytes, &on_drawn);
                    return;
                }
                let Some(control) = data
                    .as_string()
                    .and_then(|text| serde_json::from_str::<TerminalControl>(&text).ok())
                else {
                    return;
                };
                match control {
                    TerminalControl::Ended { message } => {
                        writer.write(&format!("\r\n\x1b[2m[{message}]\x1b[0m\r\n").into());
                        ended(SocketEvent::Ended);
                    }
                    // The scrollback follows afresh.
                    TerminalControl::Resync => writer.write(&"\x1bc".into()),
                    // The server closes the socket next; `onclose`
                    // reconnects at once.
                    TerminalControl::Behind => was_behind.set(true),
                    _ => {}
                }
            });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        // When the socket opened, so a close can tell how long it was good.
        let opened_at = Rc::new(std::cell::Cell::new(None::<f64>));
        let (opened, sizer, resize_fit) = (socket.clone(), dup(&self.term), dup(&self.fit));
        let open_time = opened_at.clone();
        let typed_ahead = self.typed_ahead.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            open_time.set(Some(js_sys::Date::now()));
            resize_fit.fit();
            send(&opened, &size_of(&sizer));
            let data = std::mem::take(&mut *typed_ahead.borrow_mut());
            if !data.is_empty() {
                send(&opened, &TerminalControl::Input { data });
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let closed = on_event;
        let on_close = Closure::<dyn FnMut()>::new(move || {
            let open_ms = opened_at.get().map_or(0.0, |at| js_sys::Date::now() - at);
            closed(SocketEvent::Closed {
                open_ms,
                behind: behind.get(),
            })
        });
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *self.socket.borrow_mut() = Some(socket.clone());
        Ok(Link {
            socket,
            current: self.socket.clone(),
            _on_message: on_message,
            _on_open: on_open,
            _on_close: on_close,
        })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
        self.term.dispose();
    }
}

/// One socket of a screen. Dropping it closes the socket.
pub struct Link {
    socket: web_sys::WebSocket,
    current: CurrentSocket,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_open: Closure<dyn FnMut()>,
    _on_close: Closure<dyn FnMut()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        let mut current = self.current.borrow_mut();
        if current.as_ref() == Some(&self.socket) {
            *current = None;
        }
        self.socket.set_onclose(None);
        self.socket.set_onmessage(None);
        self.socket.set_onopen(None);
        let _ = self.socket.close();
    }
}

fn size_of(term: &XTerm) -> TerminalControl {
    TerminalControl::Resize {
        cols: term.cols(),
        rows: term.rows(),
    }
}

fn send(socket: &web_sys::WebSocket, control: &TerminalControl) {
    if socket.ready_state() == web_sys::WebSocket::OPEN
        && let Ok(text) = serde_json::to_string(control)
    {
        let _ = socket.send_with_str(&text);
    }
}

/// Another handle on the same JavaScript object.
fn dup<T: JsCast>(value: &T) -> T {
    value.as_ref().clone().unchecked_into()
}
