//! A real headless Chromium driven over W3C WebDriver: Debian's `chromium`
//! and `chromium-driver` (`.ci/run` installs them), spoken to as plain JSON
//! over HTTP with the `reqwest` already in the tree. fantoccini and
//! thirtyfour each add some forty crates (aws-lc-sys and its C build among
//! them) for the dozen commands used here.
//!
//! [`Browser::start`] returns `None`, after printing why, when chromium or
//! chromedriver is missing, so a developer without them sees the test
//! skipped; under `COMPTOIR_REQUIRE_TOOLS` (CI) it fails instead.
//! Everything is torn down on drop, a panicking test included: the session
//! closed, then chromedriver's whole process group (Chromium and its
//! helpers) killed, the temporary profile removed. A test killed outright
//! (a timeout's SIGKILL, no drop) takes chromedriver with it (the parent
//! death signal: keep a `Browser` on the thread that started it).

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// W3C's key for an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long [`Browser::find`] waits for an element to appear.
pub const FIND_TIMEOUT: Duration = Duration::from_secs(5);

/// Chromium's flags: headless, no sandbox (CI runs as root), and none of
/// the background connections a closed network refuses (they stall start-up).
const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--lang=fr-FR",
];

/// The two programs, found on PATH (or where Debian puts them).
fn tool(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/lib/chromium")]) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium and chromedriver, or why they cannot be used. Fails (panics)
/// instead when `COMPTOIR_REQUIRE_TOOLS` is set, as in CI.
pub fn tools() -> Option<(PathBuf, PathBuf)> {
    let chrome = tool(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = tool(&["chromedriver"]);
    match (chrome, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            let why = "chromium and chromedriver are needed for the browser tests: \
                       apt-get install chromium chromium-driver";
            assert!(
                std::env::var_os("COMPTOIR_REQUIRE_TOOLS").is_none(),
                "{why} (COMPTOIR_REQUIRE_TOOLS is set)"
            );
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// A headless Chromium with one WebDriver session.
pub struct Browser {
    driver: Child,
    /// http://127.0.0.1:PORT/session/ID
    session: String,
    http: reqwest::blocking::Client,
    log: PathBuf,
    _profile: tempfile::TempDir,
}

/// A free loopback port (free now; chromedriver takes it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at 1280×800; `None`
    /// (printed) when the tools are missing, see [`tools`].
    pub fn start() -> Option<Browser> {
        let (chrome, driver) = tools()?;
        let profile = tempfile::tempdir().expect("temporary profile directory");
        let log = profile.path().join("chromedriver.log");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .expect("HTTP client");
        let port = free_port();
        let mut cmd = Command::new(&driver);
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so drop can end Chromium's helpers with it;
        // and killed with the test if the test is killed (no drop then).
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        // SAFETY: prctl only sets this process's own parent-death signal; it
        // allocates nothing and is async-signal-safe, as pre_exec requires.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
        let base = format!("http://127.0.0.1:{port}");
        let mut b = Browser {
            driver: child,
            session: String::new(),
            http,
            log,
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = b
                .http
                .get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            if let Ok(Some(st)) = b.driver.try_wait() {
                panic!("chromedriver exited at start ({st}): {}", b.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port} within 20 s: {}",
                b.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            b._profile.path().join("p").display()
        ));
        args.push("--window-size=1280,800".into());
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 20000, "script": 10000},
            "goog:chromeOptions": {"binary": chrome, "args": args},
        }}});
        let v = b.raw("POST", &format!("{base}/session"), Some(caps));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_string();
        b.session = format!("{base}/session/{id}");
        Some(b)
    }

    /// chromedriver's pid, which is also its process group's id (Chromium's
    /// processes are in that group).
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        let start = (start..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        format!("chromedriver log tail:\n{}", &text[start..])
    }

    /// One WebDriver command; panics with the driver's message on an error.
    fn raw(&self, method: &str, url: &str, body: Option<Value>) -> Value {
        match self.try_raw(method, url, body) {
            Ok(v) => v,
            Err(e) => panic!("WebDriver {method} {url}: {e}"),
        }
    }

    fn try_raw(&self, method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = req.send().map_err(|e| e.to_string())?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().map_err(|e| e.to_string())?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(format!(
                "{}: {}",
                v["value"]["error"].as_str().unwrap_or("error"),
                v["value"]["message"].as_str().unwrap_or("")
            ))
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.raw(method, &format!("{}{path}", self.session), body)
    }

    /// The viewport's size in CSS pixels (the page's own window.innerWidth/Height):
    /// the window is resized until they match, whatever the browser's frame.
    pub fn set_viewport(&self, width: u32, height: u32) {
        let (mut w, mut h) = (width, height);
        for _ in 0..3 {
            self.cmd(
                "POST",
                "/window/rect",
                Some(json!({"width": w, "height": h})),
            );
            let got = self.execute("return [window.innerWidth, window.innerHeight]", &[]);
            let (gw, gh) = (
                got[0].as_u64().unwrap_or(0) as i64,
                got[1].as_u64().unwrap_or(0) as i64,
            );
            if gw == width as i64 && gh == height as i64 {
                return;
            }
            w = (w as i64 + width as i64 - gw).max(1) as u32;
            h = (h as i64 + height as i64 - gh).max(1) as u32;
        }
    }

    /// Opens `url` and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn current_url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn title(&self) -> String {
        self.cmd("GET", "/title", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's HTML as it is now.
    pub fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs a script in the page (`arguments[i]` are `args`); its result.
    pub fn execute(&self, script: &str, args: &[Value]) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Every element matching a CSS selector, now (possibly none).
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str())
                    .map(|id| Element {
                        b: self,
                        id: id.to_string(),
                        css: css.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether an element matches now.
    pub fn exists(&self, css: &str) -> bool {
        !self.find_all(css).is_empty()
    }

    /// The first element matching `css`, waiting up to [`FIND_TIMEOUT`].
    pub fn find(&self, css: &str) -> Element<'_> {
        let deadline = Instant::now() + FIND_TIMEOUT;
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no element matches {css:?} on {} after {FIND_TIMEOUT:?}; the page:\n{}",
                self.current_url(),
                self.visible_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The text of the first element matching `css` (as rendered).
    pub fn text(&self, css: &str) -> String {
        self.find(css).text()
    }

    /// The whole page's rendered text (for assertions and failure messages).
    pub fn visible_text(&self) -> String {
        self.try_raw(
            "POST",
            &format!("{}/execute/sync", self.session),
            Some(json!({"script": "return document.body ? document.body.innerText : ''", "args": []})),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    }

    /// Replaces the value of the field matching `css` by typing `value`.
    pub fn fill(&self, css: &str, value: &str) {
        let e = self.find(css);
        e.clear();
        e.send_keys(value);
    }

    pub fn click(&self, css: &str) {
        self.find(css).click();
    }

    /// Polls `cond` every 50 ms until it holds; panics after `timeout`
    /// naming `what`, with the page's text.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Browser) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if cond(self) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {timeout:?} on {}; the page:\n{}",
                self.current_url(),
                self.visible_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the text of `css` satisfies `pred`; returns it.
    pub fn wait_text(&self, css: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let now = self.find_all(css).first().and_then(|e| e.try_text().ok());
            if let Some(t) = &now {
                if pred(t) {
                    return t.clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "text of {css:?} not as expected within {timeout:?} (last seen {now:?}) on {}; the page:\n{}",
                self.current_url(),
                self.visible_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The viewport as PNG, written to `path` (parents created).
    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("screenshot is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// The cookie `name`'s value, if the browser holds it for this page.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.try_raw("GET", &format!("{}/cookie/{name}", self.session), None)
            .ok()
            .and_then(|v| v["value"].as_str().map(str::to_string))
    }

    pub fn delete_cookies(&self) {
        self.cmd("DELETE", "/cookie", None);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.http.delete(&self.session).send();
        }
        // The group holds chromedriver and every Chromium process it started.
        let pgid = self.driver.id() as i32;
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// An element found by a CSS selector.
pub struct Element<'a> {
    b: &'a Browser,
    id: String,
    css: String,
}

impl Element<'_> {
    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.b
            .cmd(method, &format!("/element/{}{what}", self.id), body)
    }

    fn try_text(&self) -> Result<String, String> {
        self.b
            .try_raw(
                "GET",
                &format!("{}/element/{}/text", self.b.session, self.id),
                None,
            )
            .map(|v| v.as_str().unwrap_or_default().to_string())
    }

    /// The rendered text.
    pub fn text(&self) -> String {
        self.try_text()
            .unwrap_or_else(|e| panic!("text of {:?}: {e}", self.css))
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        self.cmd("GET", &format!("/attribute/{name}"), None)
            .as_str()
            .map(str::to_string)
    }

    /// The current value of a form field.
    pub fn value(&self) -> String {
        self.cmd("GET", "/property/value", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn click(&self) {
        self.cmd("POST", "/click", None);
    }

    pub fn clear(&self) {
        self.cmd("POST", "/clear", None);
    }

    pub fn send_keys(&self, text: &str) {
        self.cmd("POST", "/value", Some(json!({ "text": text })));
    }

    pub fn displayed(&self) -> bool {
        self.cmd("GET", "/displayed", None)
            .as_bool()
            .unwrap_or(false)
    }
}
